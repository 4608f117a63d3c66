"""`deploykit import compose`: profiles from the docker-compose.yml a team already has.

    Compose files --reading (the Compose CLI, or fallback.py)--> the resolved project as data
    --model.py--> typed services --roles.py--> the web service, its steps, processes, the rest
    --mapping.py (commandline, resources, health, environment, others)--> profile fields with comments
    --document.py--> YAML text, checked by the pipeline before commands/import_compose.py writes it

Nothing here prints, writes or exits: findings are `Note`s (notes.py) the command shows.
"""
