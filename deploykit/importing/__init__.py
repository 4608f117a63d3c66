"""`deploykit import compose`: profiles from the docker-compose.yml a team already has.

    Compose files --reading.py (compose_cli.py: the Compose CLI; else fallback.py)--> the resolved project
    --model.py--> typed services --roles.py--> the web service, its steps, processes, and the rest
    --mapping.py--> profile fields with comments, one concern per module: web.py (command, port, workers),
      resources.py, health.py, environment.py (env, secrets), companions.py (prestart, processes, cron),
      proxy.py, leftovers.py (what has no place in a profile)
    --document.py--> YAML text, checked by the pipeline before commands/import_compose.py writes it

Nothing here prints, writes or exits: findings are `Note`s (notes.py) the command shows.
"""
