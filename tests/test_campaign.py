"""The hostile-input campaign, repeatable: seeded hostile values through every free-text field into every
target, read back by each target's real consumer, each value arriving unchanged and inert.

Fields: the app's `env`, `command` arguments, a prestart step's command, a process's command and env, a
job's command and env, `health.command`, `annotations`. Consumers: the Compose CLI (`config`, which
interpolates `$`), yacron's configuration check (cron.yaml), kubernetes-validate (strict schemas) and
the kubelet's `$(VAR)` expansion, HashiCorp's HCL parser and Nomad's run-time `${...}` interpolation,
BuildKit's Dockerfile parser.

"Unchanged" is each consumer's decoded value equal to the value written in the profile; "inert" is
that decoding interpolated nothing (Compose printed no "variable is not set" warning, HCL found no live
template, Nomad no run-time reference, the kubelet no `$(VAR)`).

DEPLOYKIT_CAMPAIGN_SEED and DEPLOYKIT_CAMPAIGN_ROUNDS replay or widen a campaign:
`DEPLOYKIT_CAMPAIGN_SEED=7 DEPLOYKIT_CAMPAIGN_ROUNDS=200 python -m pytest tests/test_campaign.py`.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, render_data
from ruamel.yaml import YAML
from tooling import compose_config, hcl_reader, missing

from deploykit.output import HEADER, with_header
from deploykit.targets.nomad.interpolation import RUNTIME_REFERENCE

# The readers the per-target tests already trust, from their directories.
sys.path[:0] = [str(REPO / "tests" / "nomad"), str(REPO / "tests" / "k8s"), str(REPO / "tests" / "dockerfile")]
from dockerfile_support import parse as parse_dockerfile  # noqa: E402
from hcl_reader import HclReader, hcl_literal  # noqa: E402
from test_k8s_properties import EXPANDED, kubernetes_expand  # noqa: E402

SEED = int(os.environ.get("DEPLOYKIT_CAMPAIGN_SEED", "26"))
ROUNDS = int(os.environ.get("DEPLOYKIT_CAMPAIGN_ROUNDS", "6"))
YACRON = Path("/opt/deploykit-yacron/bin/yacron")

# What each consumer reads specially: shells, template engines, YAML, HCL, Dockerfiles, the kubelet,
# Compose interpolation, terminals. Nomad's `${name}` (refused by deploykit, with its own test) is left out.
CORPUS = [
    "$(rm -rf /)", "`id`", "$HOME", "${HOME", "$", "$$", "$${x}", "$$(VAR)", "$(VAR)", "\\$(VAR)", "$(",
    "%{if true}x%{endif}", "%%{", "${ x }", "${1+1}", "{{ .Env.SECRET }}", "{% raw %}", "#{x}",
    "a\nb", "line\r\nnext", "tab\there", "'", '"', "\\", "x\\", "\\\\", "'\"\\`",
    "#!/bin/sh", "# comment", ";", "&&", "|", "> /etc/passwd", "%s%n", "--privileged", "-", " ", "  lead",
    "trail  ", "null", "~", "yes", "off", "0x1F", "1e3", "0777", "- item", "key: value", "? q", "&anchor",
    "*alias", "!!python/object/apply:os.system", "--- ", "...", "[x]", "{a: b}", "@every 1s",
    "\u202egnp.exe", "\u200b", "\ufeff", "日本語", "🙂", "<script>alert(1)</script>", "\\\nRUN id",
    "ENV X=1", "CMD [\"sh\"]", "}", "]", '"]', "\\u0041", "\\n", "%", "%%", "=", "a=b", "${}",
]  # fmt: skip
BASE = {
    "app": "campaign",
    "image": "registry.example.com/acme/campaign:1.0.0",
    "proxy": {"host": "campaign.example.com", "tls": "acme", "email": "ops@example.com"},
    "nomad": {"forwarded_allow_ips": "10.0.0.0/8"},
    "k8s": {"cluster_issuer": "letsencrypt"},
}


def hostile(rng: random.Random) -> str:
    """One to three corpus entries, joined as they come or with a separator."""
    while True:
        parts = rng.sample(CORPUS, rng.randint(1, 3))
        value = rng.choice(["", " ", "\n", "="]).join(parts)
        if value and not RUNTIME_REFERENCE.search(value) and "\r" not in value.replace("\r\n", ""):
            return value


@dataclass(frozen=True)
class Slots:
    """The hostile values of one round, where each went."""

    env: dict[str, str]  # variable name -> value, in the app's env (and so every process's and job's)
    argv: list[str]  # arguments of the app's, a step's, a process's and a job's commands
    health: str
    annotation: str

    def profile(self) -> dict[str, Any]:
        app_arg, step_arg, process_arg, job_arg = self.argv
        process_env, job_env = self.env["HOSTILE_PROCESS"], self.env["HOSTILE_JOB"]
        return {
            **BASE,
            "command": ["uvicorn", "app.main:app", app_arg],
            "env": {name: value for name, value in self.env.items() if name.startswith("HOSTILE_APP")},
            "prestart": [{"name": "migrate", "command": ["python", "-m", "migrate", step_arg]}],
            "processes": {"worker": {"command": ["celery", process_arg], "env": {"HOSTILE_PROCESS": process_env}}},
            "cron": {
                "sweep": {"schedule": "17 3 * * *", "command": ["sweep", job_arg], "env": {"HOSTILE_JOB": job_env}}
            },
            "health": {"command": ["/app/healthcheck", self.health]},
            "annotations": {"example.com/note": self.annotation},
        }


def rounds() -> Iterator[Slots]:
    rng = random.Random(SEED)
    for _ in range(ROUNDS):
        env = {f"HOSTILE_APP_{index}": hostile(rng) for index in range(3)}
        env |= {"HOSTILE_PROCESS": hostile(rng), "HOSTILE_JOB": hostile(rng)}
        yield Slots(env, [hostile(rng) for _ in range(4)], hostile(rng), hostile(rng))


ROUNDS_DATA = list(rounds())


# --- What each consumer reads back, decoded.


@dataclass
class ReadBack:
    """Every environment variable and every command argument a consumer found, decoded."""

    env: dict[str, set[str]]
    argv: set[str]
    other: set[str]

    def assert_carries(self, slots: Slots, env_names: set[str], argv: list[str], others: list[str]) -> None:
        for name in env_names:
            assert slots.env[name] in self.env.get(name, set()), (name, slots.env[name], self.env.get(name))
        for value in argv:
            assert value in self.argv, (value, sorted(self.argv))
        for value in others:
            assert value in self.other, value


def _walk_env_and_argv(node: Any, decode, found: ReadBack) -> None:
    """Environment entries (`{name, value}` or `NAME: value` under an env key) and command lists, anywhere."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("env", "environment") and isinstance(value, list):
                for entry in value:
                    if isinstance(entry, dict) and "name" in entry and isinstance(entry.get("value"), str):
                        found.env.setdefault(entry["name"], set()).add(decode(entry["value"]))
                    elif isinstance(entry, dict) and "key" in entry:
                        found.env.setdefault(entry["key"], set()).add(decode(entry["value"]))
                    elif isinstance(entry, dict):
                        for name, item in entry.items():
                            if isinstance(item, str):
                                found.env.setdefault(name, set()).add(decode(item))
            elif key in ("env", "environment") and isinstance(value, dict):
                for name, item in value.items():
                    if isinstance(item, str):
                        found.env.setdefault(name, set()).add(decode(item))
            elif key in ("command", "args", "test") and isinstance(value, list):
                found.argv.update(decode(item) for item in value if isinstance(item, str))
            elif key == "annotations" and isinstance(value, dict):
                found.other.update(value.values())
            else:
                _walk_env_and_argv(value, decode, found)
    elif isinstance(node, list):
        for item in node:
            _walk_env_and_argv(item, decode, found)


def _k8s(slots: Slots) -> ReadBack:
    import kubernetes_validate

    rendering = render_data(slots.profile(), "k8s").rendering
    found = ReadBack({}, set(), set())
    for document in YAML(typ="safe", pure=True).load_all(rendering.stdout):
        if document is None:
            continue
        group = document["apiVersion"].rpartition("/")[0]
        if group not in ("traefik.io", "gateway.networking.k8s.io", "cert-manager.io"):
            kubernetes_validate.validate(document, "1.37", strict=True)

        def decode(text: str) -> str:
            expanded = kubernetes_expand(text)
            assert EXPANDED not in expanded, f"the kubelet would expand a $(VAR) in {text!r}"
            return expanded

        _walk_env_and_argv(document, decode, found)
    return found


def _compose(slots: Slots, directory: Path) -> ReadBack:
    rendering = render_data(slots.profile(), "compose").rendering
    for file in rendering.files:
        (directory / file.path).parent.mkdir(parents=True, exist_ok=True)
        (directory / file.path).write_text(with_header(file), encoding="utf-8")
    result = compose_config(directory / "compose.yaml", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "is not set" not in result.stderr, result.stderr  # nothing was interpolated
    project = json.loads(result.stdout)
    found = ReadBack({}, set(), set())
    # `config` prints every `$` as `$$`, a valid Compose file again: one level of escaping to take off.
    _walk_env_and_argv(project["services"], lambda text: text.replace("$$", "$"), found)
    cron = YAML(typ="safe", pure=True).load((directory / "cron.yaml").read_text(encoding="utf-8"))
    _walk_env_and_argv(cron, lambda text: text, found)
    if os.access(YACRON, os.X_OK):
        checked = subprocess.run(
            [str(YACRON), "-c", str(directory / "cron.yaml"), "-v"], capture_output=True, timeout=60
        )
        assert checked.returncode == 0, checked.stderr
    else:
        missing(f"yacron is not installed at {YACRON} (scripts/setup-machine.sh installs it)")
    return found


def _nomad(slots: Slots, reader: HclReader) -> ReadBack:
    rendering = render_data(slots.profile(), "nomad").rendering
    found = ReadBack({}, set(), set())

    def decode(text: str) -> str:
        literal = hcl_literal(text)  # asserts HCL interpolates nothing
        assert not RUNTIME_REFERENCE.search(literal), f"Nomad would replace a reference in {literal!r}"
        return literal

    for file in rendering.files:
        if file.path.endswith(".hcl"):
            _walk_env_and_argv(reader.read(HEADER + file.content, file.path), decode, found)
    return found


def _dockerfile(slots: Slots) -> ReadBack:
    rendering = render_data(slots.profile(), "dockerfile").rendering
    dockerfile = next(file for file in rendering.files if file.path == "Dockerfile")
    found = ReadBack({}, set(), set())
    for instruction in parse_dockerfile(with_header(dockerfile)):
        if instruction.cmd in ("CMD", "HEALTHCHECK", "ENTRYPOINT"):
            found.argv.update(instruction.value)
    return found


@pytest.fixture(scope="module")
def hcl() -> Iterator[HclReader]:
    reader = HclReader(*hcl_reader())
    try:
        yield reader
    finally:
        reader.close()


APP_ENV = {"HOSTILE_APP_0", "HOSTILE_APP_1", "HOSTILE_APP_2"}
ALL_ENV = APP_ENV | {"HOSTILE_PROCESS", "HOSTILE_JOB"}


@pytest.mark.parametrize("index", range(len(ROUNDS_DATA)), ids=lambda index: f"seed{SEED}-round{index}")
def test_hostile_values_arrive_unchanged_and_inert_on_every_target(index: int, tmp_path: Path, hcl: HclReader):
    slots = ROUNDS_DATA[index]
    _k8s(slots).assert_carries(slots, ALL_ENV, slots.argv, [slots.annotation])
    _compose(slots, tmp_path).assert_carries(slots, ALL_ENV, [*slots.argv, slots.health], [])
    _nomad(slots, hcl).assert_carries(slots, ALL_ENV, slots.argv, [])
    _dockerfile(slots).assert_carries(slots, set(), [slots.argv[0]], [])


def test_the_campaign_is_seeded():
    assert [slots.profile() for slots in rounds()] == [slots.profile() for slots in ROUNDS_DATA]
