"""`deploykit envs`: the environments of a project, their profiles, targets and output directories."""

from __future__ import annotations

import sys

from deploykit.commands.common import ManifestsChoice, check_output_format, print_json


def run(choice: ManifestsChoice, output_format: str) -> int:
    """Print one line (or JSON record) per environment profile, sorted by environment name."""
    from deploykit.loading.workspace import environment_profiles

    check_output_format(output_format)
    records = [
        {
            "environment": entry.environment,
            "profile": entry.loaded.source.file,
            "targets": list(entry.loaded.profile.target_names),
            "directories": {
                target: str(choice.manifests_dir / entry.environment / target)
                for target in entry.loaded.profile.target_names
            },
        }
        for entry in environment_profiles(choice.profiles_dir)
    ]
    if output_format == "json":
        print_json(records)
        return 0
    rows = [("ENVIRONMENT", "PROFILE", "TARGETS", "RENDERS INTO")]
    rows += [
        (
            str(record["environment"]),
            str(record["profile"]),
            ",".join(record["targets"]),
            f"{choice.manifests_dir / str(record['environment'])}/<target>/",
        )
        for record in records
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        sys.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
    return 0
