"""A scheduled job: ``python -m app.tick`` appends one line to ``ticks.log`` in the state directory.

It stands in for a periodic task (clearing sessions, sending digests): it runs to completion and
exits 0, so a deployment can see from the file that, and when, the scheduler ran it.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime

from app.settings import ConfigError, database_path


def main() -> int:
    try:
        path = database_path()
    except ConfigError as exc:
        print(f"tick: {exc}", file=sys.stderr)
        return 2
    if path is None:
        print("tick: no database configured (DATABASE_URL)", file=sys.stderr)
        return 2
    log = path.parent / "ticks.log"
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"{datetime.now(UTC).isoformat(timespec='seconds')} {os.environ.get('TICK_NOTE', '')}\n")
    print(f"tick: {log}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
