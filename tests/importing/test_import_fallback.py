"""The fallback reader (`--reader python`) against the real Compose CLI (`--reader compose`) on the same
files: the same profiles, byte for byte, and the same notes."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_support import NO_CLI_NOTE, Imported, project, run_import
from tooling import compose_binary

from deploykit.importing import reading
from deploykit.importing.locate import SourceFile

FIXTURE_ARGUMENTS = {
    "shop-api": (),
    "blog": (),
    "notes-api": (),
    "orders": ("-f", "compose.yaml", "-f", "compose.prod.yaml"),
    "vault": (),
}


def _both(directory: Path, *arguments: str, env: dict[str, str] | None = None) -> tuple[Imported, Imported]:
    """Import `directory` with the Compose CLI and with the fallback reader, into two profile directories."""
    compose_binary()  # skip on a laptop without the CLI, fail in CI
    results = []
    for reader in ("compose", "python"):
        result = run_import(directory, "--reader", reader, "-o", f"profiles-{reader}", *arguments, env=env)
        assert result.returncode == 0, result.stderr
        results.append(Imported(directory, result))
    return results[0], results[1]


def _profiles(directory: Path, reader: str) -> dict[str, str]:
    folder = directory / f"profiles-{reader}"
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())}


def _notes(imported: Imported) -> list[str]:
    """stderr without the lines naming the output directory."""
    return [
        line.replace("profiles-compose", "profiles-X").replace("profiles-python", "profiles-X")
        for line in imported.result.stderr.splitlines()
        if not line.startswith(NO_CLI_NOTE)
    ]


@pytest.mark.parametrize("fixture", sorted(FIXTURE_ARGUMENTS))
def test_the_fallback_reads_every_fixture_as_the_compose_cli_does(fixture: str, tmp_path: Path):
    directory = project(fixture, tmp_path)
    with_cli, with_fallback = _both(directory, *FIXTURE_ARGUMENTS[fixture])
    assert _profiles(directory, "python") == _profiles(directory, "compose")
    assert _notes(with_fallback) == _notes(with_cli)


def test_the_shell_environment_wins_over_dotenv_and_profiles_enable_services(tmp_path: Path):
    directory = project("orders", tmp_path)
    arguments = (*FIXTURE_ARGUMENTS["orders"], "--profile", "debug")
    with_cli, with_fallback = _both(directory, *arguments, env={"TAG": "3.2.0", "COMPOSE_PROFILES": ""})
    profiles = _profiles(directory, "compose")
    assert profiles == _profiles(directory, "python")
    assert "\nimage: registry.example.com/shop/orders:3.2.0\n" in profiles["base.yaml"]
    assert _notes(with_fallback) == _notes(with_cli)
    assert (
        "not imported: compose.yaml:27:3: services.adminer: runs another image (adminer:4.8.1); a profile describes "
        "one app: import it into profiles of its own (--service adminer) or deploy it another way"
    ) in _notes(with_cli)


# Interpolation, env files, merges, sizes and durations written every way the Compose specification
# allows: both readers must resolve them to the same values.
VARIANTS = """\
x-defaults: &defaults
  restart: unless-stopped
services:
  web:
    <<: *defaults
    image: ghcr.io/acme/variants:${TAG-1.0.0}
    command: gunicorn app.wsgi --bind=0.0.0.0:${PORT_NUMBER:-8000} -w${WORKERS:-2} --graceful-timeout 25
    expose: ["8000"]
    env_file:
      - path: ./app.env
      - path: ./missing.env
        required: false
    environment:
      - PLAIN=plain value
      - FROM_SHELL=${FROM_SHELL}
      - EMPTY_DEFAULT=${EMPTY:-fallback}
      - UNSET_DEFAULT=${NOT_SET-dash}
      - SET_EMPTY=${EMPTY-kept-empty}
      - ALTERNATIVE=${FROM_SHELL:+alt}
      - NESTED=${NOT_SET:-${FROM_SHELL}-nested}
      - DOLLARS_SHELL=$$HOME
      - DOLLARS_BRACED=$${HOME}
      - BARE=$FROM_SHELL/x
      - QUOTE_LIKE=it's "fine"
      - UNSET_WARNED=${NEVER_SET}
    mem_limit: 1.5g
    healthcheck:
      test: wget -q --spider http://localhost:8000/ping
      interval: 1m30s
      timeout: 500ms
      start_period: 1h
  worker:
    <<: *defaults
    image: ghcr.io/acme/variants:${TAG-1.0.0}
    command: ["celery", "-A", "app", "worker"]
    mem_limit: 2048k
    cpus: 0.25
    scale: 2
  sizes:
    image: ghcr.io/acme/variants:${TAG-1.0.0}
    command: ["python", "-m", "app.sizes"]
    deploy:
      resources:
        limits:
          memory: 300MB
"""
OVERRIDE = """\
services:
  web:
    environment:
      PLAIN: overridden
      ADDED: added
    healthcheck:
      retries: 7
  sizes:
    restart: !reset null
"""
ENV_FILE = """\
# comment
export EXPORTED=yes
DOUBLE="a \\"quoted\\" value\\twith tab" # trailing comment
SINGLE='$NOT_INTERPOLATED'
HASH=value#not-a-comment
SPACED=value # a comment
FROM_FILE=${FROM_SHELL}-in-file
PLAIN=from-file
"""


def test_variables_env_files_merges_sizes_and_durations(tmp_path: Path):
    directory = tmp_path / "variants"
    directory.mkdir()
    (directory / "compose.yaml").write_text(VARIANTS, encoding="utf-8")
    (directory / "compose.override.yaml").write_text(OVERRIDE, encoding="utf-8")
    (directory / "app.env").write_text(ENV_FILE, encoding="utf-8")
    (directory / ".env").write_text("WORKERS=3\nEMPTY=\n", encoding="utf-8")
    with_cli, with_fallback = _both(directory, env={"FROM_SHELL": "shell"})
    profiles = _profiles(directory, "compose")
    assert _profiles(directory, "python") == profiles
    assert _notes(with_fallback) == _notes(with_cli)
    assert 'warning: The "NEVER_SET" variable is not set. Defaulting to a blank string.' in _notes(with_cli)
    base = profiles["base.yaml"]
    assert "\n  DOLLARS_SHELL: $HOME\n" in base
    assert "\n  DOLLARS_BRACED:" not in base  # Nomad would replace ${HOME}: a note says so
    assert "# without DOLLARS_BRACED (Nomad would change it)\n" in base
    assert '\n  DOUBLE: "a \\"quoted\\" value\\twith tab"\n' in base
    assert "\n  NESTED: shell-nested\n" in base
    assert "\nshutdown_seconds: 30\n" in base  # --graceful-timeout 25 plus deploykit's 5 s margin


def test_default_files_are_the_ones_compose_picks(tmp_path: Path):
    directory = tmp_path / "picked"
    directory.mkdir()
    web = "services:\n  web:\n    image: ghcr.io/acme/{name}:1.0.0\n    command: [gunicorn, app.wsgi]\n"
    for name in ("compose.yml", "docker-compose.yml", "docker-compose.yaml"):
        (directory / name).write_text(web.format(name=name.replace(".", "-")), encoding="utf-8")
    (directory / "docker-compose.override.yml").write_text(
        "services:\n  web:\n    environment:\n      OVERRIDDEN: 'yes'\n", encoding="utf-8"
    )
    files = reading.source_files([], {}, directory)
    assert [source.shown for source in files] == ["compose.yml", "docker-compose.override.yml"]
    with_cli, with_fallback = _both(directory)
    assert _profiles(directory, "python") == _profiles(directory, "compose")
    assert _notes(with_fallback) == _notes(with_cli)
    base = _profiles(directory, "compose")["base.yaml"]
    assert "\nimage: ghcr.io/acme/compose-yml:1.0.0\n" in base
    assert '\n  OVERRIDDEN: "yes"\n' in base
    assert "from compose.yml, docker-compose.override.yml." in base


def test_compose_file_lists_the_files_when_no_file_is_given(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("services: {}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("services: {}\n", encoding="utf-8")
    files = reading.source_files([], {"COMPOSE_FILE": "a.yaml:b.yaml"}, tmp_path)
    assert files == (SourceFile("a.yaml", tmp_path / "a.yaml"), SourceFile("b.yaml", tmp_path / "b.yaml"))
