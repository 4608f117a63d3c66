"""What an import writes: never over existing profiles without --force, the same bytes for the same
input wherever it lies, and comments that say where each value came from."""

from __future__ import annotations

import re
from pathlib import Path

from import_support import import_fixture, project, run_import

from deploykit.importing import document
from deploykit.yamldump import dump


def test_existing_profiles_are_never_overwritten_without_force(tmp_path: Path):
    directory = project("notes-api", tmp_path)
    (directory / "profiles").mkdir()
    (directory / "profiles" / "prod.yaml").write_text("# mine\n", encoding="utf-8")

    refused = run_import(directory)
    assert (refused.returncode, refused.stderr) == (
        2,
        "error: refusing to overwrite profiles/prod.yaml; pass --force to replace them\n",
    )
    assert sorted(path.name for path in (directory / "profiles").iterdir()) == ["prod.yaml"]
    assert (directory / "profiles" / "prod.yaml").read_text(encoding="utf-8") == "# mine\n"

    forced = run_import(directory, "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stderr.endswith("created profiles/base.yaml\nwrote profiles/prod.yaml\n")
    assert (directory / "profiles" / "prod.yaml").read_text(encoding="utf-8").startswith("# The prod environment")


def test_the_same_input_gives_the_same_bytes_wherever_it_is(tmp_path: Path):
    first = import_fixture("shop-api", tmp_path / "one")
    second = import_fixture("shop-api", tmp_path / "two" / "deeper")
    for name in ("base.yaml", "prod.yaml"):
        assert first.text(name) == second.text(name)
        assert str(tmp_path) not in first.text(name)
    assert first.result.stderr == second.result.stderr
    before = {name: first.text(name) for name in ("base.yaml", "prod.yaml")}
    again = run_import(first.directory, "--force")
    assert again.returncode == 0, again.stderr
    assert {name: first.text(name) for name in before} == before


def test_output_directory_environment_and_app_options(tmp_path: Path):
    directory = project("notes-api", tmp_path)
    result = run_import(directory, "-o", "deploy/profiles", "--env", "staging", "--app", "notes")
    assert result.returncode == 0, result.stderr
    written = directory / "deploy" / "profiles"
    assert sorted(path.name for path in written.iterdir()) == ["base.yaml", "staging.yaml"]
    assert "\napp: notes\n" in (written / "base.yaml").read_text(encoding="utf-8")
    assert "\nenvironment: staging\n" in (written / "staging.yaml").read_text(encoding="utf-8")


def test_every_field_says_where_it_came_from(tmp_path: Path):
    imported = import_fixture("shop-api", tmp_path)
    text = imported.text("base.yaml")
    # Each top-level field is preceded by its comment paragraph (a blank line, then `# ...` lines).
    fields = re.findall(r"^([a-z_]+):", text, re.MULTILINE)
    for name in fields:
        assert re.search(rf"\n\n(# [^\n]*\n)+{name}:", text), name
    assert "# services.api.deploy.resources.limits.memory (docker-compose.yml:36): 1280 MiB for the container" in text
    assert "# services.migrate (docker-compose.yml:47): the app waited for it to complete" in text
    assert "# services.api.environment.JWT_SECRET held a literal credential: move it into this secret" in text
    # No secret's value ever reaches a profile.
    assert "s3cr3t-pw" not in text and "dev-only-change-me" not in text


def test_the_notes_list_what_has_no_place_in_a_profile(tmp_path: Path):
    imported = import_fixture("blog", tmp_path)
    lines = imported.result.stderr.splitlines()
    assert lines == [
        "warning: docker-compose.yml:22:5: services.web.env_file: DATABASE_URL looks like a credential: the profile "
        "references secrets.DATABASE_URL (secret blog, key database-url) instead; move the value out of the Compose "
        "files into that secret",
        "warning: docker-compose.yml:22:5: services.web.env_file: DJANGO_SECRET_KEY looks like a credential: the "
        "profile references secrets.DJANGO_SECRET_KEY (secret blog, key django-secret-key) instead; move the value "
        "out of the Compose files into that secret",
        "not imported: docker-compose.yml:26:9: services.web.volumes[0]: volume static shared files with nginx, which "
        "deploykit replaces; serve static files from the app (e.g. WhiteNoise) or a CDN",
        "not imported: docker-compose.yml:38:5: services.web.user: the profile runs the image's own USER "
        "(run_as: image): make sure the image works as it, or set build.uid and run_as: deploykit",
        "not imported: docker-compose.yml:69:3: services.db: PostgreSQL runs outside the app (a managed service, or a "
        "server of its own); reference it through secrets.DATABASE_URL",
        "not imported: docker-compose.yml:3:3: services.nginx: deploykit runs its own Traefik instead of nginx (TLS, "
        "HTTP to HTTPS, routing to the app): set proxy.host, proxy.tls and proxy.email in profiles/prod.yaml",
        "not imported: docker-compose.yml:78:3: services.redis: Redis runs outside the app (a managed service, or a "
        "server of its own); env.CELERY_BROKER_URL points at it: set the address each environment uses",
        "note: profiles/prod.yaml accepts warnings concurrent-prestart, database-egress, no-route, "
        "process-no-liveness, same-probe-path, sync-workers, volume-not-carried: each says there what to review",
        "created profiles/base.yaml",
        "created profiles/prod.yaml",
    ]


def test_without_comments_the_text_is_the_one_yaml_emitter_s(tmp_path: Path):
    imported = import_fixture("blog", tmp_path)
    for name in ("base.yaml", "prod.yaml"):
        text = imported.text(name)
        bare = "".join(
            line for line in text.splitlines(keepends=True) if line.strip() and not line.lstrip().startswith("#")
        )
        from ruamel.yaml import YAML

        assert bare == dump(YAML(typ="safe", pure=True).load(text))


def test_sections_write_one_comment_per_entry():
    entries = [
        document.field("app", "shop", "the app"),
        document.section(
            "processes",
            [document.Entry("worker", {"command": ["celery", "worker"]}, ("services.worker",))],
            "processes",
        ),
        document.section("prestart", [document.Entry(None, {"name": "migrate", "command": ["migrate"]}, ("step",))]),
    ]
    assert document.text(entries, ("header",)) == (
        "# header\n\n# the app\napp: shop\n\n# processes\nprocesses:\n  # services.worker\n  worker:\n    command:\n"
        "      - celery\n      - worker\nprestart:\n  # step\n  - name: migrate\n    command:\n      - migrate\n"
    )
    assert document.plain(entries) == {
        "app": "shop",
        "processes": {"worker": {"command": ["celery", "worker"]}},
        "prestart": [{"name": "migrate", "command": ["migrate"]}],
    }
