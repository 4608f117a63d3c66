"""From profile files to a validated spec, every value keeping the FILE:LINE:COL it came from.

    yamlfile    one YAML file, read safely, with the location of every key and item
    merge       `extends` chains merged into one mapping (MergedProfile)
    overrides   `--set PATH=VALUE` applied after merging
    validation  the spec model and its cross-field rules (LoadedProfile), errors located
    per_target  `overrides.<target>`: the profile as one target sees it
    workspace   profiles/<name>.yaml: one profile, or every environment's

`deploykit.pipeline` strings these together with the targets; commands and tests call it.
"""
