"""`load_merged`: a chain of `extends` merged into one mapping, each value located where it was set."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploykit.errors import DeployKitError, Location
from deploykit.loading.merge import load_merged


@pytest.fixture
def profiles(tmp_path, monkeypatch):
    """Write profiles into tmp_path (the working directory, so messages name files as users see them)."""
    monkeypatch.chdir(tmp_path)

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def error_of(path: Path) -> str:
    with pytest.raises(DeployKitError) as caught:
        load_merged(path)
    return str(caught.value)


BASE = """\
app: items-api
command: [fastapi, run, app/main.py]
health:
  path: /healthz
  interval_seconds: 10
env:
  LOG_LEVEL: info
  REGION: eu
k8s:
  network_policy:
    ingress_namespace: traefik
    egress:
      - cidr: 10.0.0.0/8
        ports: [5432]
"""


def test_mappings_merge_deeply_and_lists_replace(profiles):
    profiles("base.yaml", BASE)
    child = profiles(
        "prod.yaml",
        """\
extends: base.yaml
command: [uvicorn, app.main:app]
health:
  interval_seconds: 20
env:
  LOG_LEVEL: warning
k8s:
  network_policy:
    egress:
      - cidr: 10.20.0.0/16
        ports: [6379]
""",
    )
    merged = load_merged(child)
    assert merged.data == {
        "app": "items-api",
        "command": ["uvicorn", "app.main:app"],
        "health": {"path": "/healthz", "interval_seconds": 20},
        "env": {"LOG_LEVEL": "warning", "REGION": "eu"},
        "k8s": {
            "network_policy": {"ingress_namespace": "traefik", "egress": [{"cidr": "10.20.0.0/16", "ports": [6379]}]}
        },
    }
    assert merged.chain == ("base.yaml", "prod.yaml")
    assert merged.file == "prod.yaml"


def test_positions_point_into_the_file_that_set_each_value(profiles):
    profiles("base.yaml", BASE)
    child = profiles(
        "prod.yaml", "extends: base.yaml\nhealth:\n  interval_seconds: 20\ncommand: [uvicorn, app.main:app]\n"
    )
    merged = load_merged(child)
    assert merged.location_of(("app",)) == Location("base.yaml", 1, 1)
    assert merged.location_of(("health", "path")) == Location("base.yaml", 4, 3)
    assert merged.location_of(("health", "interval_seconds")) == Location("prod.yaml", 3, 3)
    # The mapping itself is located where it was last touched.
    assert merged.location_of(("health",)) == Location("prod.yaml", 2, 1)
    # A replaced list: its items are the child's, and the parent's third item is gone.
    assert merged.location_of(("command", 1)) == Location("prod.yaml", 4, 20)
    assert ("command", 2) not in merged.positions
    # Nested values of the parent keep the parent's lines.
    assert merged.location_of(("k8s", "network_policy", "egress", 0, "ports", 0)) == Location("base.yaml", 14, 17)


def test_location_of_an_absent_field_falls_back_to_its_nearest_ancestor(profiles):
    profiles("base.yaml", BASE)
    merged = load_merged(profiles("prod.yaml", "extends: base.yaml\n"))
    assert merged.location_of(("health", "timeout_seconds")) == Location("base.yaml", 3, 1)
    assert merged.location_of(("proxy", "host")) == Location("prod.yaml", 1, 1)


def test_null_removes_a_key_set_by_a_parent(profiles):
    profiles("base.yaml", BASE)
    child = profiles("prod.yaml", "extends: base.yaml\nenv:\n  REGION: ~\nhealth: null\nk8s:\n")
    merged = load_merged(child)
    assert merged.data["env"] == {"LOG_LEVEL": "info"}
    assert "health" not in merged.data and "k8s" not in merged.data
    assert not [path for path in merged.positions if path[:1] in (("health",), ("k8s",)) or path == ("env", "REGION")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app: items\nenv:\n  LOG_LEVEL: ~\n", "prod.yaml:3:3: env.LOG_LEVEL"),
        ("app: items\nproxy:\n  host:\n", "prod.yaml:3:3: proxy.host"),
        ("app: null\n", "prod.yaml:1:1: app"),
    ],
)
def test_null_that_removes_nothing_is_an_error(profiles, text, expected):
    path = profiles("prod.yaml", text)
    assert error_of(path) == (
        f'{expected}: null removes a value set by a parent profile, but no parent profile sets this one; write "" for an empty string, or delete the line'
    )


def test_null_under_a_mapping_the_parent_does_not_have_is_an_error(profiles):
    profiles("base.yaml", BASE)
    path = profiles("prod.yaml", "extends: base.yaml\nproxy:\n  host: a.example.com\n  email: ~\n")
    assert error_of(path).startswith("prod.yaml:4:3: proxy.email: null removes a value set by a parent profile")


def test_a_child_mapping_replaces_a_parent_scalar(profiles):
    profiles("base.yaml", "app: items\nproxy: none\n")
    merged = load_merged(profiles("prod.yaml", "extends: base.yaml\nproxy:\n  host: a.example.com\n"))
    assert merged.data["proxy"] == {"host": "a.example.com"}
    assert merged.location_of(("proxy", "host")) == Location("prod.yaml", 3, 3)


def test_three_levels_of_extends_apply_in_order(profiles):
    profiles("common/root.yaml", "app: items\nreplicas: 1\nenv:\n  A: root\n  B: root\n  C: root\n")
    profiles("common/base.yaml", "extends: root.yaml\nreplicas: 2\nenv:\n  B: base\n  C: base\n")
    leaf = profiles("prod.yaml", "extends: common/base.yaml\nenv:\n  C: prod\n")
    merged = load_merged(leaf)
    assert merged.data == {"app": "items", "replicas": 2, "env": {"A": "root", "B": "base", "C": "prod"}}
    assert merged.chain == ("common/root.yaml", "common/base.yaml", "prod.yaml")
    assert merged.location_of(("env", "A")) == Location("common/root.yaml", 4, 3)
    assert merged.location_of(("env", "B")) == Location("common/base.yaml", 4, 3)
    assert merged.location_of(("env", "C")) == Location("prod.yaml", 3, 3)
    assert "extends" not in merged.data


def test_extends_cycle_names_every_file(profiles):
    profiles("a.yaml", "extends: b.yaml\napp: items\n")
    profiles("b.yaml", "app: items\nextends: c.yaml\n")
    profiles("c.yaml", "extends: a.yaml\n")
    assert (
        error_of(Path("a.yaml"))
        == "c.yaml:1:1: extends: profiles extend each other in a cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml"
    )


def test_a_profile_extending_itself(profiles):
    path = profiles("self.yaml", "app: items\nextends: ./self.yaml\n")
    assert error_of(path) == "self.yaml:2:1: extends: profiles extend each other in a cycle: self.yaml -> self.yaml"


def test_missing_parent(profiles):
    path = profiles("prod.yaml", "app: items\nextends: bases/base.yaml\n")
    assert (
        error_of(path)
        == "prod.yaml:2:1: extends: parent profile 'bases/base.yaml' not found (looked for bases/base.yaml)"
    )


def test_missing_parent_of_a_parent_is_reported_in_the_parent(profiles):
    profiles("base.yaml", "extends: root.yaml\n")
    path = profiles("prod.yaml", "extends: base.yaml\n")
    assert error_of(path) == "base.yaml:1:1: extends: parent profile 'root.yaml' not found (looked for root.yaml)"


@pytest.mark.parametrize("value", ["5", "[base.yaml]", "{file: base.yaml}", "true", '""', "'  '"])
def test_extends_must_be_a_string(profiles, value):
    path = profiles("prod.yaml", f"app: items\nextends: {value}\n")
    assert error_of(path) == "prod.yaml:2:1: extends: extends must be a file path (a string)"


def test_errors_in_a_parent_point_into_the_parent(profiles):
    profiles("base.yaml", "app: items\nenv:\n  A: 1\n  A: 2\n")
    path = profiles("prod.yaml", "extends: base.yaml\n")
    assert error_of(path) == "base.yaml:4:3: env.A: duplicate key 'A' (first defined at line 3)"


def test_too_deep_a_chain_is_refused(profiles):
    profiles("p0.yaml", "app: items\n")
    for level in range(1, 18):
        profiles(f"p{level}.yaml", f"extends: p{level - 1}.yaml\n")
    assert error_of(Path("p17.yaml")) == "p2.yaml:1:1: extends: more than 16 levels of extends"


def test_positions_of_many_merged_keys_come_from_the_file_that_set_each(profiles):
    """(tests/spec/test_loading_is_linear.py times the same shape with 10,000 keys.)"""
    keys = 200
    profiles("base.yaml", "app: items\nenv:\n" + "".join(f"  K{index}: a\n" for index in range(keys)))
    leaf = profiles(
        "prod.yaml", "extends: base.yaml\nenv:\n" + "".join(f"  K{index}: b\n" for index in range(0, keys, 2))
    )
    merged = load_merged(leaf)
    assert len(merged.data["env"]) == keys
    assert merged.data["env"]["K2"] == "b" and merged.data["env"]["K3"] == "a"
    assert merged.location_of(("env", "K2")) == Location("prod.yaml", 4, 3)
    assert merged.location_of(("env", "K3")) == Location("base.yaml", 6, 3)


def test_positions_of_a_replaced_list_are_the_replacing_files_only(profiles):
    profiles(
        "base.yaml",
        "app: items\nprestart:\n  - name: a\n    command: [one, two, three]\n  - name: b\n    command: [four]\n",
    )
    leaf = profiles("prod.yaml", "extends: base.yaml\nprestart:\n  - name: c\n    command: [v]\n")
    merged = load_merged(leaf)
    assert {path: str(location) for path, location in merged.positions.items() if path[:1] == ("prestart",)} == {
        ("prestart",): "prod.yaml:2:1",
        ("prestart", 0): "prod.yaml:3:5",
        ("prestart", 0, "name"): "prod.yaml:3:5",
        ("prestart", 0, "command"): "prod.yaml:4:5",
        ("prestart", 0, "command", 0): "prod.yaml:4:15",
    }


def test_a_parent_name_too_long_for_the_file_system_is_a_located_error(profiles):
    name = "a" * 300 + ".yaml"
    path = profiles("prod.yaml", f"app: items\nextends: {name}\n")
    assert error_of(path) == (
        f"prod.yaml:2:1: extends: parent profile '{name[:60]}...' cannot be read: File name too long"
    )


def test_a_parent_in_a_symlink_loop_is_a_located_error(profiles, tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    path = profiles("prod.yaml", "app: items\nextends: a.yaml\n")
    assert error_of(path) == (
        "prod.yaml:2:1: extends: parent profile 'a.yaml' cannot be read: Too many levels of symbolic links"
    )


def test_a_parent_that_is_a_fifo_is_refused_without_reading_it(profiles, tmp_path):
    import os

    os.mkfifo(tmp_path / "base.yaml")
    path = profiles("prod.yaml", "app: items\nextends: base.yaml\n")
    assert error_of(path) == (
        "prod.yaml:2:1: extends: parent profile 'base.yaml' cannot be read: "
        "is not a regular file (a FIFO, socket or device); give a profile file"
    )


def test_a_cycle_through_a_link_is_found_by_file_identity(profiles, tmp_path):
    profiles("a.yaml", "app: items\nextends: b.yaml\n")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    assert error_of(Path("a.yaml")) == ("a.yaml:2:1: extends: profiles extend each other in a cycle: a.yaml -> b.yaml")


@pytest.mark.parametrize(
    ("parent", "shown"),
    [
        ("/etc/passwd", "/etc/passwd"),
        ("../outside.yaml", "../outside.yaml"),
        ("sub/../../outside.yaml", "sub/../../outside.yaml"),
        ("escape.yaml", "escape.yaml"),  # a link inside the directory, to a file outside it
    ],
)
def test_extends_outside_the_repository_is_refused(tmp_path, monkeypatch, parent, shown):
    """Without a git repository around it, a profile extends only files in its own directory tree."""
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (tmp_path / "outside.yaml").write_text("app: items\n")
    (project / "escape.yaml").symlink_to(tmp_path / "outside.yaml")
    (project / "prod.yaml").write_text(f"app: items\nextends: {parent}\n")
    monkeypatch.chdir(project)
    assert error_of(Path("prod.yaml")) == (
        f"prod.yaml:2:1: extends: parent profile {shown!r} is outside the profile's directory (.); "
        "profiles extend only profiles inside their repository, or inside the first profile's directory outside one"
    )


def test_extends_anywhere_inside_the_git_repository_is_allowed(tmp_path, monkeypatch):
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    (repository / "shared").mkdir()
    (repository / "shared/base.yaml").write_text("app: items\nreplicas: 2\n")
    (repository / "deploy/profiles").mkdir(parents=True)
    (repository / "deploy/profiles/prod.yaml").write_text("extends: ../../shared/base.yaml\n")
    (tmp_path / "elsewhere.yaml").write_text("app: items\n")
    monkeypatch.chdir(repository)
    assert load_merged(Path("deploy/profiles/prod.yaml")).data == {"app": "items", "replicas": 2}
    (repository / "deploy/profiles/prod.yaml").write_text("extends: ../../../elsewhere.yaml\n")
    assert error_of(Path("deploy/profiles/prod.yaml")) == (
        "deploy/profiles/prod.yaml:1:1: extends: parent profile '../../../elsewhere.yaml' is outside the repository (.); "
        "profiles extend only profiles inside their repository, or inside the first profile's directory outside one"
    )
