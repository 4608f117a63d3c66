"""Images for every Python server: several code paths, build-time commands, and the module check."""

from __future__ import annotations

from dockerfile_support import files, hadolint_codes, parse, render

DJANGO = {
    "app": "shop",
    "image": "registry.example.com/acme/shop:2.1.0",
    "command": ["gunicorn", "-k", "uvicorn_worker.UvicornWorker", "shop.asgi:application"],
    "build": {
        "app_path": ["manage.py", "shop", "templates"],
        "commands": [["python", "manage.py", "collectstatic", "--noinput"]],
    },
}


def test_several_paths_are_copied_and_build_commands_run_after_them(tmp_path):
    rendering, findings = render(DJANGO)
    parsed = parse(files(rendering)["Dockerfile"])
    copies = [instruction.value for instruction in parsed if instruction.cmd == "COPY"]
    assert copies == [
        ("./requirements.txt", "/code/requirements.txt"),
        ("./manage.py", "/code/manage.py"),
        ("./shop", "/code/shop"),
        ("./templates", "/code/templates"),
    ]
    runs = [instruction for instruction in parsed if instruction.cmd == "RUN"]
    assert runs[-1].json and runs[-1].value == ("python", "manage.py", "collectstatic", "--noinput")
    order = [instruction.cmd for instruction in parsed]
    assert order == [
        "FROM",
        "ENV",
        "RUN",
        "WORKDIR",
        "COPY",
        "RUN",
        "COPY",
        "COPY",
        "COPY",
        "RUN",
        "USER",
        "EXPOSE",
        "HEALTHCHECK",
        "CMD",
    ]
    dockerignore = files(rendering)[".dockerignore"]
    assert "!manage.py\n!shop\n!templates\n" in dockerignore
    cmd = next(instruction for instruction in parsed if instruction.cmd == "CMD")
    assert cmd.value == (
        "gunicorn", "-k", "uvicorn_worker.UvicornWorker", "shop.asgi:application", "--bind", "0.0.0.0:8000",
        "--workers", "1", "--graceful-timeout", "25", "--keep-alive", "95",
    )  # fmt: skip
    assert findings == []
    path = tmp_path / "Dockerfile"
    path.write_text(files(rendering)["Dockerfile"])
    assert hadolint_codes(path) == []


def test_a_module_the_image_would_not_contain_is_reported():
    _, findings = render({**DJANGO, "build": {"app_path": ["manage.py", "templates"]}})
    assert [str(finding) for finding in findings] == [
        "build.app_path: the command serves shop/asgi.py, which is not in build.app_path (manage.py, templates): "
        "the image would not contain it; add shop [dockerfile module-not-copied]"
    ]
    _, findings = render({**DJANGO, "command": ["fastapi", "run", "src/main.py"], "build": {"app_path": "src"}})
    assert findings == []
