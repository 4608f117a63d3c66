"""Cold-start benchmark of `deploykit render k8s --env prod`, and where its import time goes.

Pipelines pay deploykit's start-up on every render, so this is the number that matters. Run from the
repository root: `python scripts/benchmark.py [--runs 10]`. It prints the median, min and max wall
time of fresh processes, and the ten most expensive imports from `python -X importtime`.

Loading section: the time to load profiles of 1k, 10k and 100k keys (a 100k-key profile is close to
the 1 MiB limit). Loading must stay linear: the time per key must not grow with the key count.
`--loading-only` prints just that section.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = [sys.executable, "-m", "deploykit", "render", "k8s", "--env", "prod"]


def wall_times(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(COMMAND, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def import_breakdown(top: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) for the most expensive top-level imports."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *COMMAND[1:]], check=True, capture_output=True, text=True
    )
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(3)) <= 2:  # top-level imports and their direct children
            rows.append((int(match.group(2)), match.group(3) + match.group(4)))
    return sorted(rows, reverse=True)[:top]


LOADING_KEY_COUNTS = (1_000, 10_000, 100_000)
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _short_name(number: int) -> str:
    """K plus `number` in base 36: 100,000 distinct keys in at most 5 characters each."""
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _BASE36[digit] + digits
        if number == 0:
            return "K" + digits


def loading_times(counts: tuple[int, ...] = LOADING_KEY_COUNTS) -> list[tuple[str, int, int, float]]:
    """(shape, keys, bytes, seconds) for loading profiles of `counts` keys through `deploykit.pipeline.load`.

    Two shapes: every key at the top level of one file (refused as unknown fields once loaded, read and
    merged in full), and half the keys in a parent that the other half, in the child, extends and
    overrides (the merge path). The fastest of three runs is kept.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from deploykit import pipeline
    from deploykit.errors import DeployKitError

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
                best = float("inf")
                for _ in range(3):
                    started = time.perf_counter()
                    with contextlib.suppress(DeployKitError):  # the top-level shape is refused, once loaded
                        pipeline.load(directory / "profile.yaml")
                    best = min(best, time.perf_counter() - started)
                rows.append((shape, count, size, best))
    return rows


def print_loading_section() -> None:
    """The loading table: time and time per key for 1k/10k/100k keys (linear: the last column stays flat)."""
    print("profile loading (deploykit.pipeline.load, best of 3):")
    print(f"  {'shape':<16} {'keys':>8} {'bytes':>9} {'seconds':>8} {'us/key':>7}")
    for shape, keys, size, seconds in loading_times():
        print(f"  {shape:<16} {keys:>8} {size:>9} {seconds:>8.3f} {seconds / keys * 1e6:>7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--loading-only", action="store_true", help="print only the profile loading section")
    args = parser.parse_args()
    if args.loading_only:
        print_loading_section()
        return
    times = wall_times(args.runs)
    print(
        f"{' '.join(COMMAND[1:])}: median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {args.runs} runs"
    )
    print("import time (cumulative ms):")
    for microseconds, module in import_breakdown(10):
        print(f"  {microseconds / 1000:7.1f}  {module}")
    loaded = subprocess.run([sys.executable, "-X", "importtime", *COMMAND[1:]], capture_output=True, text=True).stderr
    print("kubernetes imported on the render path:", "yes" if re.search(r"\| +kubernetes$", loaded, re.M) else "no")
    print_loading_section()


if __name__ == "__main__":
    main()
