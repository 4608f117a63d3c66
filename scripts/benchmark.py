"""Benchmarks of what GitOps pipelines pay: cold start against `kubectl kustomize`, and scaling with environments.

Run from the repository root: `python scripts/benchmark.py` (about a minute). It prints one table:

- cold `deploykit render k8s --env prod` against `kubectl kustomize manifests/prod/k8s`, whole processes,
  interleaved (one of each, in turn) so that both see the same machine load; medians. Every render
  loads its profile (there is no cache), so this is also the figure for a profile never rendered before;
- `explain --env prod` and `validate --env prod` the same way, with their ratio to the render;
- `render all` and `check` over 50, 200 and 1,000 generated environments (the bundled base plus
  prod-like profiles, 4 targets each), medians, and the time per environment, which stays flat when
  cost is linear;
- the peak resident memory of each command.

Two reference rows show the floor under any render of a new profile: the interpreter starting, and
the interpreter importing pydantic and validating one one-field model (all a spec made of pydantic
models cannot skip), each interleaved with `kubectl kustomize` like the render.

deploykit's bytecode is compiled first, as pip does on install: a checkout run with
PYTHONDONTWRITEBYTECODE set (as some CI images do) would otherwise compile every module in every process.

It is a benchmark, not a test: nothing here asserts a time. CI runs it once with `--sizes 2 --runs 1` to
prove it works. `--imports` adds the ten most expensive imports of a render.

A second table times loading profiles of 1k, 10k and 100k keys (`--loading-keys`; 100k keys come close
to the 1 MiB limit) in this process, with the outcome: loading stays linear below the reader's bounds
(lines and YAML tokens, deploykit/loading/yamlfile.py), and a file past them is refused in a bounded time.
`--loading-only` prints just that table.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEPLOYKIT = [sys.executable, "-m", "deploykit"]
RENDER = [*DEPLOYKIT, "render", "k8s", "--env", "prod"]
# Measured like the render; the table gives each one's ratio to the render too.
BESIDE_THE_RENDER = (
    ("explain --env prod", [*DEPLOYKIT, "explain", "--env", "prod"]),
    ("validate --env prod", [*DEPLOYKIT, "validate", "--env", "prod"]),
)
KUSTOMIZE = ["kubectl", "kustomize", "manifests/prod/k8s"]
# What every render of a new profile pays before deploykit's own work: the interpreter, then pydantic's
# import and its first model (which imports the schema machinery that `from pydantic import BaseModel`
# defers).
FLOORS = (
    ("floor: python starts (no deploykit)", [sys.executable, "-c", "pass"]),
    (
        "floor: python + pydantic, one model (no deploykit)",
        [sys.executable, "-c", "from pydantic import BaseModel\nclass One(BaseModel):\n    x: int\nOne(x=1)"],
    ),
)


@dataclass(frozen=True)
class Run:
    """One whole process: wall seconds and peak resident memory in MiB."""

    seconds: float
    peak_mib: float


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Run `command` to completion, output discarded; fail loudly if it fails."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 reports the child's own peak memory (ru_maxrss, KiB on Linux), which subprocess.run does not.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return Run(seconds, usage.ru_maxrss / 1024)


def environment(**changes: str) -> dict[str, str]:
    """This interpreter's environment with deploykit importable from this checkout."""
    return {**os.environ, "PYTHONPATH": str(REPO), **changes}


# --- cold start against kubectl kustomize --------------------------------------------------------------


@dataclass(frozen=True)
class ColdStart:
    label: str
    deploykit: list[Run]
    kustomize: list[Run]

    @property
    def ratio(self) -> float:
        return median(self.deploykit) / median(self.kustomize)


def cold_start(runs: int) -> list[ColdStart]:
    """Interleaved medians of `render k8s --env prod`, `explain` and `validate`, and of the floors, each
    against `kubectl kustomize`."""
    compileall.compile_dir(REPO / "deploykit", quiet=1)
    # The compiled spec validator, as an install has it (setup-machine.sh, or the first load, builds it).
    subprocess.run([sys.executable, "-m", "deploykit.spec.compiler"], cwd=REPO, env=environment(), check=True)
    cases = [("render k8s --env prod", RENDER), *BESIDE_THE_RENDER, *FLOORS]
    results = []
    for label, command in cases:
        measure(command, REPO, environment())  # warms the OS file cache
        ours, theirs = [], []
        for _ in range(runs):
            ours.append(measure(command, REPO, environment()))
            theirs.append(measure(KUSTOMIZE, REPO, environment()))
        results.append(ColdStart(label, ours, theirs))
    return results


# --- scaling with the number of environments -----------------------------------------------------------


def generate_profiles(root: Path, count: int) -> None:
    """profiles/ with the bundled base and `count` prod-like environments (each its own host and namespace)."""
    profiles = root / "profiles"
    profiles.mkdir(parents=True)
    shutil.copy(REPO / "profiles" / "base.yaml", profiles / "base.yaml")
    prod = (REPO / "profiles" / "prod.yaml").read_text(encoding="utf-8")
    for index in range(count):
        name = f"env{index:03d}"
        text = prod.replace("environment: prod", f"environment: {name}")
        text = text.replace("host: api.example.com", f"host: {name}.example.com")
        text = text.replace("namespace: items\n", f"namespace: items-{name}\n")
        (profiles / f"{name}.yaml").write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Scaling:
    environments: int
    files: int
    render_all: list[Run]
    check: list[Run]


def scaling(sizes: list[int], runs: int) -> list[Scaling]:
    """`render all -q` and `check` over generated profiles of each size."""
    results = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="deploykit-bench-") as scratch:
            root = Path(scratch)
            generate_profiles(root, size)
            render_all = [sys.executable, "-m", "deploykit", "render", "all", "-q"]
            check = [sys.executable, "-m", "deploykit", "check"]
            measure(render_all, root, environment())
            files = sum(1 for path in (root / "manifests").rglob("*") if path.is_file())
            renders, checks = [], []
            for _ in range(runs):
                renders.append(measure(render_all, root, environment()))
                checks.append(measure(check, root, environment()))
            results.append(Scaling(size, files, renders, checks))
    return results


# --- import breakdown (optional) -----------------------------------------------------------------------


def import_breakdown(top: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) for the most expensive top-level imports of a render."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *RENDER[1:]],
        cwd=REPO,
        env=environment(),
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(3)) <= 2:  # top-level imports and their direct children
            rows.append((int(match.group(2)), match.group(3) + match.group(4)))
    return sorted(rows, reverse=True)[:top]


# --- the table -----------------------------------------------------------------------------------------


def median(runs: list[Run]) -> float:
    return statistics.median(run.seconds for run in runs)


def peak(runs: list[Run]) -> float:
    return max(run.peak_mib for run in runs)


def table(cold: list[ColdStart], scaled: list[Scaling], runs: int) -> str:
    lines = [
        f"runs per figure: {runs} (medians); {os.cpu_count()} CPUs; Python {sys.version.split()[0]}",
        "",
        "| measurement | command | kubectl kustomize | ratio | peak RSS |",
        "|---|---|---|---|---|",
    ]
    render = cold[0]
    for result in cold:
        beside = f" ({result.ratio / render.ratio:.2f}x the render)" if result.label in dict(BESIDE_THE_RENDER) else ""
        lines.append(
            f"| {result.label}{beside} | {median(result.deploykit) * 1000:.0f} ms "
            f"| {median(result.kustomize) * 1000:.0f} ms | {result.ratio:.2f}x | {peak(result.deploykit):.0f} MiB |"
        )
    lines += [
        "",
        "| environments (files) | render all | per environment | check | per environment | peak RSS (all / check) |",
        "|---|---|---|---|---|---|",
    ]
    for result in scaled:
        size = result.environments
        lines.append(
            f"| {size} ({result.files}) | {median(result.render_all):.2f} s | {median(result.render_all) / size * 1000:.1f} ms "
            f"| {median(result.check):.2f} s | {median(result.check) / size * 1000:.1f} ms "
            f"| {peak(result.render_all):.0f} / {peak(result.check):.0f} MiB |"
        )
    return "\n".join(lines)


def _short_name(number: int) -> str:
    """K plus `number`: distinct keys, digits only, so none reads like a credential's name."""
    return f"K{number}"


def loading_times(counts: list[int], runs: int) -> list[tuple[str, int, int, float, str]]:
    """(shape, keys, bytes, seconds, outcome) for loading profiles of `counts` keys through `deploykit.pipeline.load`.

    Two shapes: every key at the top level of one file (refused as unknown fields once loaded, read and
    merged in full), and half the keys in a parent that the other half, in the child, extends and
    overrides (the merge path). The fastest of `runs` runs is kept.
    """
    sys.path.insert(0, str(REPO))
    from deploykit import pipeline
    from deploykit.errors import DeployKitError
    from deploykit.loading import yamlfile

    base = "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\n"
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        for count in counts:
            shapes = {
                "top-level keys": {"profile.yaml": base + "".join(f"{_short_name(n)}: v\n" for n in range(count))},
                "parent + child": {
                    "parent.yaml": base + "env:\n" + "".join(f" {_short_name(n)}: a\n" for n in range(count // 2)),
                    "profile.yaml": "extends: parent.yaml\nenv:\n"
                    + "".join(f" {_short_name(n)}: b\n" for n in range(0, count, 2)),
                },
            }
            for shape, files in shapes.items():
                for name in ("parent.yaml", "profile.yaml"):
                    (directory / name).unlink(missing_ok=True)
                for name, text in files.items():
                    (directory / name).write_text(text, encoding="utf-8")
                size = max(len(text.encode()) for text in files.values())
                best, outcome = float("inf"), "loaded"
                for _ in range(runs):
                    yamlfile._parse.cache_clear()  # each run reads the files afresh, not from the parse cache
                    started = time.perf_counter()
                    try:
                        pipeline.load(directory / "profile.yaml")
                    except DeployKitError as exc:  # the top-level shape is refused, once loaded
                        outcome = "refused: " + exc.message.split(";")[0].split(" (")[0]
                    best = min(best, time.perf_counter() - started)
                rows.append((shape, count, size, best, outcome))
    return rows


def loading_table(counts: list[int], runs: int) -> str:
    """The loading table: time and time per key (linear: the last column stays flat as the keys grow)."""
    lines = [
        f"Profile loading (deploykit.pipeline.load, fastest of {runs}):",
        "",
        "| shape | keys | bytes | seconds | us per key | outcome |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for shape, keys, size, seconds, outcome in loading_times(counts, runs):
        lines.append(f"| {shape} | {keys} | {size} | {seconds:.3f} | {seconds / keys * 1e6:.1f} | {outcome} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="processes per figure (default 11)")
    parser.add_argument(
        "--sizes", default="50,200,1000", help="environment counts for render all and check (default 50,200,1000)"
    )
    parser.add_argument("--imports", action="store_true", help="also list the most expensive imports")
    parser.add_argument(
        "--loading-keys", default="1000,10000,100000", help="key counts for profile loading (default 1000,10000,100000)"
    )
    parser.add_argument("--loading-only", action="store_true", help="print only the profile loading table")
    args = parser.parse_args()
    loading_keys = [int(count) for count in args.loading_keys.split(",") if count]
    if args.loading_only:
        print(loading_table(loading_keys, min(args.runs, 3)))
        return
    if shutil.which("kubectl") is None:
        raise SystemExit("kubectl is not on PATH: the cold start is measured against `kubectl kustomize`")
    sizes = [int(size) for size in args.sizes.split(",") if size]
    cold = cold_start(args.runs)
    scaled = scaling(sizes, max(1, min(args.runs, 5)))
    print(table(cold, scaled, args.runs))
    if args.imports:
        print("\nimport time of a render (cumulative ms):")
        for microseconds, module in import_breakdown(10):
            print(f"  {microseconds / 1000:7.1f}  {module}")
    print()
    print(loading_table(loading_keys, min(args.runs, 3)))


if __name__ == "__main__":
    main()
