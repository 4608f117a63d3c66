def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "e2e: builds container images and runs them under podman (slow; needs podman and debootstrap)",
    )


def pytest_sessionstart(session):
    # The render cache (deploykit/rendercache.py) lives in a directory of this run's own, never the user's.
    import os
    import tempfile

    os.environ["DEPLOYKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="deploykit-cache-")
