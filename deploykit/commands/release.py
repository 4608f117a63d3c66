"""`deploykit release compose`: a release of a rendered Compose project that drops no request.

`docker compose up -d` recreates each outdated container in place (stops the old one, starts the new
one) before it waits for the migration, and all replicas at once: the site is down while the
migration runs, and stays down when it fails. This command drives the Compose CLI step by step
instead, against the rendered directory (deploykit/targets/compose/release.py says what the rendered
file carries for it):

1. every prestart step (the migrations) with the new image, in order, while the old version serves:
   `up --no-deps --force-recreate --exit-code-from STEP STEP` (not `run --rm`, whose exit code
   Podman's Docker-compatible API loses); a failure, by the step container's own exit code, stops here;
2. new app containers beside the old ones: `up -d --no-deps --no-recreate --scale APP=old+N APP`;
3. wait until each new one is healthy (Traefik routes only to healthy containers); on failure the
   new ones are stopped and removed and the old ones go on serving;
4. drain each old one: create its drain file (`compose exec --index`), so its health check fails and
   Traefik stops routing to it; wait until it is unhealthy and then Traefik's reload window;
5. stop each old one with its stop_grace_period (in-flight requests finish), and remove it;
6. replace the processes (workers) and the scheduler: `up -d --no-deps ...` (after the migration).

One container is stopped and removed by its ID with the engine's CLI (`docker` or `podman`: the
Compose CLI acts on whole services only, and which containers `--scale` removes when scaling down
differs between Compose releases). Any failure exits 1 with the reason, and until step 5 the old
version is still serving. Exit 2: the directory, the CLIs or the rendered file cannot be used.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from deploykit.errors import DeployKitError

COMPOSE_FILE = "compose.yaml"
COMPOSE_VARIABLE = "DEPLOYKIT_COMPOSE"
DEFAULT_COMPOSE = "docker compose"
ENGINE_VARIABLE = "DEPLOYKIT_ENGINE"
ENGINES = ("docker", "podman")
POLL_SECONDS = 1.0
# Beyond the health check's own budget (start period + retries x interval): the engine's own delays.
HEALTH_SLACK_SECONDS = 30
QUERY_TIMEOUT_SECONDS = 120


class ReleaseFailed(Exception):
    """A release step failed: the message says what failed and what is serving now."""


@dataclass(frozen=True)
class ReleaseOptions:
    directory: Path
    compose: tuple[str, ...]
    engine: tuple[str, ...]
    health_timeout: float | None = None


@dataclass(frozen=True)
class Container:
    """One container of a service, as `compose ps --format json` lists it."""

    id: str
    name: str
    number: int
    state: str
    health: str


def compose_command(given: str | None) -> tuple[str, ...]:
    """The Compose CLI to run: --compose, else $DEPLOYKIT_COMPOSE, else `docker compose`."""
    text = given or os.environ.get(COMPOSE_VARIABLE) or DEFAULT_COMPOSE
    words = tuple(shlex.split(text))
    if not words:
        raise DeployKitError("--compose: empty command")
    return words


def engine_command(given: str | None, compose: tuple[str, ...]) -> tuple[str, ...]:
    """The engine's CLI: --engine, else $DEPLOYKIT_ENGINE, else the CLI `docker compose` or `podman compose`
    is a plugin of, else `docker`."""
    text = given or os.environ.get(ENGINE_VARIABLE)
    if text:
        words = tuple(shlex.split(text))
        if not words:
            raise DeployKitError("--engine: empty command")
        return words
    if len(compose) > 1 and Path(compose[0]).name in ENGINES and compose[1] == "compose":
        return (compose[0],)
    return ("docker",)


def release_directory(directory: Path | None, env: str | None, profiles_dir: Path | None) -> Path:
    """The rendered directory: --dir, else manifests/ENV/compose beside the profiles."""
    from deploykit.loading.workspace import check_environment_name, find_profiles_dir, manifests_dir_for

    if (directory is None) == (env is None):
        raise DeployKitError("give exactly one of --env ENV or --dir DIR (the rendered Compose directory)")
    if directory is not None:
        return directory
    assert env is not None
    check_environment_name(env)
    return manifests_dir_for(None, find_profiles_dir(profiles_dir)) / env / "compose"


class Compose:
    """The Compose CLI on one rendered project."""

    def __init__(self, prefix: Sequence[str], directory: Path, log: Callable[[str], None]) -> None:
        self.cli = list(prefix)
        self.prefix = [*prefix, "--ansi", "never", "-f", str(directory / COMPOSE_FILE)]
        self.directory = directory
        self.log = log

    def _run(self, args: Sequence[str], *, capture: bool, timeout: float | None) -> subprocess.CompletedProcess[str]:
        command = [*self.prefix, *args]
        try:
            return subprocess.run(
                command,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if capture else sys.stderr,
                stderr=subprocess.PIPE if capture else sys.stderr,
                text=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            raise DeployKitError(
                f"the Compose CLI {shlex.join(self.cli)!r} was not found: install Docker Compose v2, "
                f"or name it with --compose or ${COMPOSE_VARIABLE}"
            ) from None
        except subprocess.TimeoutExpired:
            raise ReleaseFailed(f"`compose {shlex.join(args)}` did not finish within {timeout} s") from None

    def query(self, *args: str) -> str:
        """The standard output of a read-only Compose command; a failure is a usage error (nothing changed)."""
        result = self._run(args, capture=True, timeout=QUERY_TIMEOUT_SECONDS)
        if result.returncode != 0:
            raise DeployKitError(f"`compose {shlex.join(args)}` failed: {result.stderr.strip() or result.returncode}")
        return result.stdout

    def step(self, *args: str) -> int:
        """Run a Compose command that changes the project, its output on stderr; its exit code."""
        self.log(f"compose {shlex.join(args)}")
        return self._run(args, capture=False, timeout=None).returncode

    def containers(self, service: str) -> list[Container]:
        """Every container of `service` (running or not), oldest number first."""
        output = self.query("ps", "--all", "--format", "json", service).strip()
        records: list[dict] = []
        if output.startswith("["):  # Compose before 2.21 printed one array
            records = json.loads(output)
        elif output:
            records = [json.loads(line) for line in output.splitlines() if line.strip()]
        found = [_container(record) for record in records if record.get("Service", service) == service]
        return sorted(found, key=lambda container: container.number)


def _container(record: dict) -> Container:
    labels = dict(part.split("=", 1) for part in str(record.get("Labels") or "").split(",") if "=" in part)
    number = labels.get("com.docker.compose.container-number") or str(record.get("Name", "")).rsplit("-", 1)[-1]
    return Container(
        id=str(record["ID"]),
        name=str(record.get("Name", "")),
        number=int(number) if number.isdigit() else 0,
        state=str(record.get("State", "")).lower(),
        health=str(record.get("Health", "")).lower(),
    )


def _seconds(value: object, default: float) -> float:
    """A Compose duration from `config --format json` (nanoseconds as a number, or text such as 10s)."""
    if isinstance(value, int | float):
        return value / 1e9
    if isinstance(value, str) and value:
        total, number = 0.0, ""
        units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
        rest = value
        while rest:
            if rest[0].isdigit() or rest[0] == ".":
                number, rest = number + rest[0], rest[1:]
                continue
            unit = "ms" if rest.startswith("ms") else rest[0]
            total += float(number or 0) * units.get(unit, 1.0)
            number, rest = "", rest[len(unit) :]
        return total + (float(number) if number else 0.0)
    return default


@dataclass(frozen=True)
class Plan:
    """What the rendered project says about its release (its `x-deploykit` block and the app's health check)."""

    app: str
    replicas: int
    steps: tuple[str, ...]
    processes: tuple[str, ...]
    scheduler: str | None
    drain: tuple[str, ...] | None
    traefik_seconds: float
    has_healthcheck: bool
    grace_seconds: float
    health_budget: float
    unhealthy_budget: float


def read_plan(config: dict, compose_file: Path) -> Plan:
    from deploykit.targets.compose.release import EXTENSION

    block = (config.get(EXTENSION) or {}).get("release")
    if not isinstance(block, dict) or not isinstance(block.get("app"), str):
        raise DeployKitError(
            f"{compose_file}: no `{EXTENSION}.release` block: render the project again with this deploykit "
            "(`deploykit render compose ... -o DIR`) before releasing it"
        )
    app = config.get("services", {}).get(block["app"])
    if app is None:
        raise DeployKitError(f"{compose_file}: the app service {block['app']!r} is missing")
    health = app.get("healthcheck") or {}
    has_healthcheck = bool(health.get("test")) and not health.get("disable")
    interval = _seconds(health.get("interval"), 30.0)
    timeout = _seconds(health.get("timeout"), 30.0)
    retries = int(health.get("retries") or 3)
    start = _seconds(health.get("start_period"), 0.0)
    drain = block.get("drain")
    return Plan(
        app=block["app"],
        replicas=int(block.get("replicas") or 1),
        steps=tuple(block.get("steps") or ()),
        processes=tuple(block.get("processes") or ()),
        scheduler=block.get("scheduler"),
        drain=tuple(drain) if drain and has_healthcheck else None,
        traefik_seconds=float(block.get("traefik_seconds") or 5),
        has_healthcheck=has_healthcheck,
        grace_seconds=_seconds(app.get("stop_grace_period"), 10.0),
        health_budget=start + (retries + 1) * (interval + timeout) + HEALTH_SLACK_SECONDS,
        unhealthy_budget=(retries + 1) * (interval + timeout) + HEALTH_SLACK_SECONDS,
    )


class Release:
    """One release of the project in `options.directory`; `run` returns the exit code."""

    def __init__(self, options: ReleaseOptions, log: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.log = log or (lambda line: print(f"release: {line}", file=sys.stderr, flush=True))
        self.compose = Compose(options.compose, options.directory, self.log)

    def run(self) -> int:
        compose_file = self.options.directory / COMPOSE_FILE
        if not compose_file.is_file():
            raise DeployKitError(
                f"{compose_file}: no such file: render the project first (`deploykit render compose ... -o DIR`)"
            )
        plan = read_plan(json.loads(self.compose.query("config", "--format", "json")), compose_file)
        current = self.compose.containers(plan.app)
        if not any(container.state == "running" for container in current):
            self.log(f"no {plan.app} container is running: this is the first install, `up -d`")
            if self.compose.step("up", "-d") != 0:
                return self._failed("`compose up -d` failed (the first install: nothing was serving before)")
            return 0
        try:
            self._migrate(plan)
            new = self._start_new(plan, current)
            self._drain(plan, current)
            self._remove(plan, current, "old")
            self._replace_background(plan)
        except ReleaseFailed as exc:
            return self._failed(str(exc))
        self.log(f"done: {', '.join(container.name for container in new)} serve the new version")
        return 0

    def _failed(self, reason: str) -> int:
        print(f"error: release failed: {reason}", file=sys.stderr, flush=True)
        return 1

    def _migrate(self, plan: Plan) -> None:
        for step in plan.steps:
            self.log(f"migration step {step}, with the new image, while the old version serves")
            code = self.compose.step("up", "--no-deps", "--force-recreate", "--exit-code-from", step, step)
            if code != 0:
                code = self._step_exit_code(step, code)
            if code != 0:
                raise ReleaseFailed(
                    f"migration step {step} exited {code}; no container was replaced: the old version still serves"
                )

    def _step_exit_code(self, step: str, compose_code: int) -> int:
        """The step container's own exit code, where `up` failed: the Compose CLI can fail by itself (seen:
        Compose 2.40's event monitor crashing with a nil pointer on Podman's API after the step exited),
        and then its code says nothing of the migration. The engine's `wait` waits for the container to
        stop and prints its exit code; when it cannot, Compose's code stands."""
        containers = self.compose.containers(step)
        if len(containers) != 1:
            return compose_code
        command = [*self.options.engine, "wait", containers[0].id]
        self.log(
            f"compose exited {compose_code}: asking the engine for the step's own exit code: {shlex.join(command)}"
        )
        try:
            result = subprocess.run(
                command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=None, check=False
            )
        except FileNotFoundError:
            return compose_code
        lines = result.stdout.split()
        if result.returncode != 0 or len(lines) != 1 or not lines[0].isdigit():
            return compose_code
        if int(lines[0]) == 0:
            self.log(f"migration step {step} exited 0 (the Compose CLI failed, not the step)")
        return int(lines[0])

    def _start_new(self, plan: Plan, current: list[Container]) -> list[Container]:
        before = {container.id for container in current}
        total = len(current) + plan.replicas
        self.log(f"starting {plan.replicas} new {plan.app} container(s) beside the {len(current)} old one(s)")
        code = self.compose.step("up", "-d", "--no-deps", "--no-recreate", "--scale", f"{plan.app}={total}", plan.app)
        new = [container for container in self.compose.containers(plan.app) if container.id not in before]
        problem = None
        if code != 0 or len(new) != plan.replicas:
            problem = f"starting the new {plan.app} containers failed (compose exited {code}, {len(new)} of {plan.replicas} created)"
        else:
            problem = self._wait_healthy(plan, new)
        if problem is not None:
            self._remove(plan, new, "new", check=False)
            raise ReleaseFailed(f"{problem}; the new containers were removed: the old version still serves")
        self.log(f"new container(s) healthy; {plan.traefik_seconds:g} s for Traefik to route to them")
        time.sleep(plan.traefik_seconds)
        return new

    def _wait_healthy(self, plan: Plan, new: list[Container]) -> str | None:
        """None once every new container is healthy (running, without a health check), else what went wrong."""
        budget = self.options.health_timeout if self.options.health_timeout is not None else plan.health_budget
        deadline = time.monotonic() + budget
        wanted = {container.id for container in new}
        while True:
            states = [container for container in self.compose.containers(plan.app) if container.id in wanted]
            if len(states) != len(wanted):
                return f"a new {plan.app} container disappeared"
            for container in states:
                if container.state not in ("running", "created", "restarting"):
                    return f"new container {container.name} is {container.state}"
                if container.health == "unhealthy":
                    return f"new container {container.name} is unhealthy"
            ready = all(
                container.state == "running" and (container.health == "healthy" or not plan.has_healthcheck)
                for container in states
            )
            if ready:
                return None
            if time.monotonic() >= deadline:
                waiting = ", ".join(f"{c.name} ({c.state} {c.health})".strip() for c in states)
                return f"the new containers were not healthy within {budget:g} s: {waiting}"
            time.sleep(POLL_SECONDS)

    def _drain(self, plan: Plan, old: list[Container]) -> None:
        running = [container for container in old if container.state == "running"]
        if plan.drain is None:
            self.log(
                "the app's health check cannot be made to fail (health.command, or no health check): the old "
                f"containers are stopped after Traefik's window ({plan.traefik_seconds:g} s) without draining"
            )
            return
        for container in running:
            self.log(f"draining {container.name}: its health check fails from now on")
            code = self.compose.step("exec", "-T", "--index", str(container.number), plan.app, *plan.drain)
            if code != 0:
                self.log(f"could not create the drain file in {container.name} (exit {code})")
        deadline = time.monotonic() + plan.unhealthy_budget
        ids = {container.id for container in running}
        while True:
            states = [c for c in self.compose.containers(plan.app) if c.id in ids and c.state == "running"]
            if all(container.health == "unhealthy" for container in states):
                break
            if time.monotonic() >= deadline:
                self.log(
                    "not every old container turned unhealthy within "
                    f"{plan.unhealthy_budget:g} s; stopping them anyway (the new ones serve)"
                )
                break
            time.sleep(POLL_SECONDS)
        self.log(f"old container(s) unhealthy; {plan.traefik_seconds:g} s for Traefik to stop routing to them")
        time.sleep(plan.traefik_seconds)

    def _remove(self, plan: Plan, containers: list[Container], which: str, check: bool = True) -> None:
        """Stop (with the app's stop_grace_period) and remove `containers`, with the engine's CLI."""
        if not containers:
            return
        ids = [container.id for container in containers]
        self.log(
            f"stopping the {which} {plan.app} container(s), each within {plan.grace_seconds:g} s, and removing them"
        )
        failed = [
            code
            for arguments in (("stop", "--time", str(int(plan.grace_seconds)), *ids), ("rm", "--force", *ids))
            if (code := self._engine(*arguments)) != 0
        ]
        if failed and check:
            raise ReleaseFailed(
                f"removing the {which} {plan.app} containers failed ({shlex.join(self.options.engine)} exited "
                f"{failed[0]}); the new ones serve, check `compose ps` for what is left"
            )

    def _engine(self, *arguments: str) -> int:
        command = [*self.options.engine, *arguments]
        self.log(shlex.join(command))
        try:
            return subprocess.run(
                command, stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr, check=False
            ).returncode
        except FileNotFoundError:
            self.log(
                f"the engine's CLI {self.options.engine[0]!r} was not found: name it with --engine or ${ENGINE_VARIABLE}"
            )
            return 127

    def _replace_background(self, plan: Plan) -> None:
        services = [*plan.processes, *([plan.scheduler] if plan.scheduler else [])]
        if not services:
            return
        self.log(f"replacing {', '.join(services)} (after the migration)")
        code = self.compose.step("up", "-d", "--no-deps", *services)
        if code != 0:
            raise ReleaseFailed(
                f"replacing {', '.join(services)} failed (compose exited {code}); the new app version serves"
            )


def run(options: ReleaseOptions) -> int:
    return Release(options).run()
