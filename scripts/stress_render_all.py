"""Stress test: two `deploykit render all` runs at once, again and again, into the same manifests/.

Each round changes every profile, starts two real runs together, waits for both, and checks that both
succeeded, that every manifests/<env>/<target>/ directory is there, that `deploykit check` passes and
that no staging directory is left. Run from the repository root:

    python scripts/stress_render_all.py [--runs 50] [--delay 0.05]

`--delay` widens the window between staging and swapping in each run (the tests-only variable
DEPLOYKIT_TEST_DELAY_BEFORE_SWAP); `--code DIR` runs the deploykit package found in DIR instead of this
checkout (e.g. an older version, to see the race this guards against). Exit code 1 if any round failed.
The test suite runs two rounds of the same race (tests/workflow/test_filesystem.py); this runs 50.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("dev", "staging", "prod")
TARGETS = ("compose", "dockerfile", "k8s", "nomad")
DELAY_VARIABLE = "DEPLOYKIT_TEST_DELAY_BEFORE_SWAP"


def deploykit(project: Path, code: Path, *args: str, delay: float = 0.0) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": str(code)}
    if delay:
        environment[DELAY_VARIABLE] = str(delay)
    return subprocess.Popen(
        [sys.executable, "-m", "deploykit", *args],
        cwd=project,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def set_replicas(project: Path, replicas: int) -> None:
    for name in ENVIRONMENTS:
        profile = project / "profiles" / f"{name}.yaml"
        lines = [line for line in profile.read_text().split("\n") if not line.startswith("replicas:")]
        profile.write_text("\n".join(lines).rstrip("\n") + f"\nreplicas: {replicas}\n")


def problems_after_round(project: Path, code: Path, runs: list[subprocess.Popen[str]]) -> list[str]:
    found = []
    for index, run in enumerate(runs):
        _, stderr = run.communicate(timeout=120)
        if run.returncode != 0:
            found.append(f"run {index + 1} exited {run.returncode}: {stderr.strip().splitlines()[-1:]}")
    for environment in ENVIRONMENTS:
        for target in TARGETS:
            if not (project / "manifests" / environment / target).is_dir():
                found.append(f"manifests/{environment}/{target} is missing")
    leftovers = [path.name for path in (project / "manifests").rglob("*") if path.name.endswith(".new")]
    if leftovers:
        found.append(f"staging directories left: {leftovers}")
    check = deploykit(project, code, "check")
    _, stderr = check.communicate(timeout=120)
    if check.returncode != 0:
        found.append(f"check exited {check.returncode}: {stderr.strip().splitlines()[-1:]}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="rounds of two concurrent runs")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds each run waits between staging and swapping")
    parser.add_argument("--code", type=Path, default=REPO, help="directory holding the deploykit package to run")
    options = parser.parse_args()
    failed = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        shutil.copytree(REPO / "profiles", project / "profiles")
        first = deploykit(project, options.code, "render", "all")
        if first.wait(timeout=120) != 0:
            print(f"the first render all failed: {first.communicate()[1]}", file=sys.stderr)
            return 1
        for round_number in range(1, options.runs + 1):
            set_replicas(project, 2 + round_number % 2)
            runs = [deploykit(project, options.code, "render", "all", delay=options.delay) for _ in range(2)]
            problems = problems_after_round(project, options.code, runs)
            if problems:
                failed += 1
                print(f"round {round_number}: " + "; ".join(problems))
                shutil.rmtree(project / "manifests", ignore_errors=True)
                deploykit(project, options.code, "render", "all").wait(timeout=120)
    elapsed = time.monotonic() - started
    print(f"{options.runs} rounds of two concurrent `render all` runs: {failed} failed ({elapsed:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
