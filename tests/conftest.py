def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "e2e: builds container images and runs them under podman (slow; needs podman and debootstrap)",
    )
