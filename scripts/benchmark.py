"""Cold-start benchmark of `deploykit render k8s --env prod`, and where its import time goes.

Pipelines pay deploykit's start-up on every render, so this is the number that matters. Run from the
repository root: `python scripts/benchmark.py [--runs 10]`. It prints the median, min and max wall
time of fresh processes, and the ten most expensive imports from `python -X importtime`.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    times = wall_times(args.runs)
    print(
        f"{' '.join(COMMAND[1:])}: median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {args.runs} runs"
    )
    print("import time (cumulative ms):")
    for microseconds, module in import_breakdown(10):
        print(f"  {microseconds / 1000:7.1f}  {module}")
    loaded = subprocess.run([sys.executable, "-X", "importtime", *COMMAND[1:]], capture_output=True, text=True).stderr
    print("kubernetes imported on the render path:", "yes" if re.search(r"\| +kubernetes$", loaded, re.M) else "no")


if __name__ == "__main__":
    main()
