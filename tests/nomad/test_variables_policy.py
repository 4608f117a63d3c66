"""The ACL policy every job that reads the secrets needs: the service job, each periodic job and the
prestart job read Nomad variables their implicit workload policies do not cover."""

from __future__ import annotations

import copy
import fnmatch
import re

import pytest
from nomad_support import BASE, render

CRON = {"tick": {"schedule": "*/5 * * * *", "command": ["python", "-m", "app.tick"]}}


@pytest.mark.parametrize("prestart", ["task", "job"])
def test_the_policy_covers_every_variable_every_job_reads(parse_hcl, prestart):
    data = copy.deepcopy(BASE) | {"cron": CRON}
    data["nomad"] = {**data["nomad"], "namespace": "items", "prestart": prestart, "proxy": "job"}
    rendering, _ = render(data)
    files = {file.path: file.content for file in rendering.files}
    policy_text = files.pop("items-api-variables.policy.hcl")
    policy = parse_hcl(policy_text)
    ((namespace, body),) = [(name, value) for block in policy["namespace"] for name, value in block.items()]
    assert namespace == "items"
    paths = {name: rules for block in body["variables"][0]["path"] for name, rules in block.items()}
    assert [rules["capabilities"] for rules in paths.values()] == [["read"]]

    readers = []
    for path, text in files.items():
        read = re.findall(r'nomadVar \\"([^\\"]+)\\"', text) + re.findall(r'nomadVar "([^"]+)"', text)
        if read:
            readers.append(path.removesuffix(".nomad.hcl"))
        for variable in read:
            assert any(fnmatch.fnmatch(variable, pattern) for pattern in paths), (path, variable)
    expected = ["items-api", "items-api-tick"] + (["items-api-prestart"] if prestart == "job" else [])
    assert sorted(readers) == sorted(expected)
    # The policy names the command attaching it to each of those jobs, and to no other (Traefik reads none).
    attached = re.findall(
        r"^#   nomad acl policy apply -namespace \"items\" -job \"([^\"]+)\" \"\1-variables\" ", policy_text, re.M
    )
    assert sorted(attached) == sorted(expected)
    # stdout holds the jobs only.
    assert "acl policy" not in rendering.stdout


def test_no_secrets_no_policy():
    data = copy.deepcopy(BASE)
    del data["secrets"]
    rendering, _ = render(data)
    assert [file.path for file in rendering.files] == ["items-api.nomad.hcl"]
