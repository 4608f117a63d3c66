"""systemd's own formats, shared by the targets that write units: unit files (units.py) and cron
schedules as calendar events (calendar.py). Quadlet's units run containers; the Compose target's
scheduler writes timers that run `docker compose run` on the host."""
