"""Extra ports become Nomad port labels, mapped in the group network and listed on the app task only."""

from __future__ import annotations

from nomad_support import BASE, only, render, tasks


def test_extra_ports_are_port_labels_of_the_app_task(parse_hcl):
    rendering, _ = render({**BASE, "ports": [{"name": "metrics", "port": 9090}]})
    job = parse_hcl(rendering.files[0].content)
    _, body = only(job["job"])
    _, group = only(body["group"])
    ports = {label: port for entry in group["network"][0]["port"] for label, port in entry.items()}
    assert ports == {"http": {"to": 8000}, "metrics": {"to": 9090}}
    by_name = tasks(body)
    assert by_name["items-api"]["config"][0]["ports"] == ["http", "metrics"]
    assert "ports" not in by_name["migrate"]["config"][0]
