"""`deploykit render TARGET`: print a target's output, or write it to a directory."""

from __future__ import annotations

import sys
from pathlib import Path

from deploykit import pipeline
from deploykit.commands.common import ProfileChoice, show_findings


def run(
    target: str, choice: ProfileChoice, output_dir: Path | None, strict: bool, replace_other_target: bool = False
) -> int:
    """Render one target to stdout, or as files into `output_dir`; warnings go to stderr.

    `output_dir` is refused when it holds another target's rendering, unless `replace_other_target`.
    """
    loaded = choice.load()
    result = pipeline.render(loaded, target)
    show_findings(loaded, [result], strict)
    if output_dir is None:
        sys.stdout.write(result.rendering.stdout)
    else:
        from deploykit import output  # only when writing: stdout renders skip its imports

        output.write_directory(output_dir, result.rendering.files, target, replace_other_target)
    return 0
