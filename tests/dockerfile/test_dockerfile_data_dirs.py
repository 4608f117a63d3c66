"""build.data_dirs: mount points for state volumes, created in the image and owned by the app's account."""

from __future__ import annotations

from dockerfile_support import files, hadolint_codes, parse, profile, render


def test_data_dirs_are_created_and_owned_by_the_app_before_the_code(tmp_path):
    rendering, findings = render(profile(build={"data_dirs": ["/var/lib/items", "/data"], "uid": 20001}))
    text = files(rendering)["Dockerfile"]
    instructions = [(item.cmd.upper(), item.value) for item in parse(text)]
    run = [value for cmd, value in instructions if cmd == "RUN"][1]
    assert run == ("mkdir -p /data /var/lib/items     && chown 20001:20001 /data /var/lib/items",)
    assert [cmd for cmd, _ in instructions].index("WORKDIR") == 4
    (tmp_path / "Dockerfile").write_text(text)
    assert hadolint_codes(tmp_path / "Dockerfile") == []
    assert findings == []
