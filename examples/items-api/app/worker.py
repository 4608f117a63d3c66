"""A background worker beside the web app: ``python -m app.worker``.

It stands in for a queue consumer (Celery, ARQ, RQ): a long-running process with no port. Every
couple of seconds it records a heartbeat in the state directory next to the database
(``workers/<hostname>``: how many beats, and when), so a deployment can see each instance alive.
It stops at once on SIGTERM, as a container's main process must.
"""

from __future__ import annotations

import signal
import socket
import sys
import time
from datetime import UTC, datetime
from types import FrameType

from app.settings import ConfigError, database_path

INTERVAL_SECONDS = 2.0


def main() -> int:
    try:
        path = database_path()
    except ConfigError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    if path is None:
        print("worker: no database configured (DATABASE_URL)", file=sys.stderr)
        return 2
    heartbeat = path.parent / "workers" / socket.gethostname()
    heartbeat.parent.mkdir(parents=True, exist_ok=True)
    running = True

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    beats = 0
    print(f"worker: {heartbeat}: started", flush=True)
    while running:
        beats += 1
        heartbeat.write_text(f"{beats} {datetime.now(UTC).isoformat(timespec='seconds')}\n", encoding="utf-8")
        time.sleep(INTERVAL_SECONDS)
    print(f"worker: stopped after {beats} beats", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
