"""Bad input gives one clear error naming the file, line and key (exit 2), never a
traceback: every case here was a traceback once (issue 17)."""

from __future__ import annotations

import time

import pytest

from config.loader import ConfigError, parse_yaml
from inventory.loader import load_inventory
from tests.core.test_cli import patrol


def _error(path) -> str:
    with pytest.raises(ConfigError) as info:
        load_inventory(path)
    return str(info.value)


@pytest.mark.parametrize("text, expected", [
    ("hosts:\n  - name: a\n    asset: {warranty_end: 2026-09-31}\n",
     "inv.yaml:3: not valid YAML: cannot read the value '2026-09-31' as a timestamp: day is out of range for month"),
    ("hosts:\n  - name: a\n    asset: {warranty_end: !!timestamp soon}\n",
     "inv.yaml:3: not valid YAML: cannot read the value 'soon' as a timestamp: not a valid timestamp"),
    ("hosts:\n  - name: a\n    groups: 2.5\n", "inv.yaml:3: hosts[0].groups: expected a list of group names"),
    ("groups: {finance: {}}\nhosts:\n  - name: a\n    groups: [[finance]]\n",
     "inv.yaml:4: hosts[0].groups: expected a list of group names"),
    ("groups:\n  g: {depends_on: [[x]]}\nhosts:\n  - {name: x}\n  - name: a\n    groups: [g]\n",
     "inv.yaml:2: groups.g.depends_on[0]: Input should be a valid string"),  # at the group, not the host
    ("a: &a [*a]\nhosts: *a\n", "inv.yaml:1: not valid YAML: recursive alias"),
    ("hosts: &h\n  - {name: a, groups: *h}\n", "not valid YAML: recursive alias"),
])
def test_yaml_inventory_errors_name_the_line(tmp_path, text, expected):
    path = tmp_path / "inv.yaml"
    path.write_text(text)
    assert expected in _error(path)


def test_alias_bomb_is_refused_before_any_work():
    # 554 bytes that expand to 9^10 (3.5 billion) strings.
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in zip("abcdefghij", "bcdefghijk"):
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    started = time.process_time()
    with pytest.raises(ConfigError, match="aliases expand to more than"):
        parse_yaml(text, "bomb.yaml")
    assert time.process_time() - started < 5  # refused from the node graph, not after expanding it


def test_aliases_within_the_cap_still_work(tmp_path):
    path = tmp_path / "inv.yaml"
    path.write_text("defaults: &d {criticality: high}\ngroups: {core: *d}\nhosts:\n  - {name: a, groups: [core]}\n"
                    "  - {name: b, criticality: low, depends_on: [a]}\n")
    inv = load_inventory(path)
    assert inv.get("a").criticality == "high" and inv.get("b").criticality == "low"


@pytest.mark.parametrize("text, expected", [
    ("kind,name,address,notes\nhost,a,10.0.0.1," + "x" * 140_000 + "\n", "inv.csv:2: not readable as CSV: field larger"),
    ("kind,name,address,name.x\nhost,a,10.0.0.1,y\n", "inv.csv:2: name.x: column 'name.x' puts a field inside 'name'"),
    ("kind,address\nhost,10.0.0.1\n", "inv.csv:1: the header needs at least the columns kind,name,address"),
])
def test_csv_errors_name_the_line(tmp_path, text, expected):
    path = tmp_path / "inv.csv"
    path.write_text(text)
    assert expected in _error(path)


def test_csv_sidecar_that_is_a_list(tmp_path):
    (tmp_path / "inv.csv").write_text("kind,name,address\nhost,a,10.0.0.1\n")
    (tmp_path / "inv.yaml").write_text("- site: hq\n")
    assert "inv.yaml:1: expected a mapping with site, defaults and groups, got list" in _error(tmp_path / "inv.csv")


CSV_ZH = "kind,name,address,asset.location\nhost,pc-1,10.0.0.1,上海 二楼\n"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16", "utf-8-sig", "utf-8"])
def test_csv_as_excel_on_chinese_windows_writes_it(tmp_path, encoding):
    path = tmp_path / "inv.csv"
    path.write_bytes(CSV_ZH.encode(encoding))  # Python's utf-16 writes a BOM, as Excel does
    inv = load_inventory(path)
    assert inv.get("pc-1").asset.location == "上海 二楼"


def test_csv_in_an_unreadable_encoding_names_the_fix(tmp_path):
    path = tmp_path / "inv.csv"
    path.write_bytes(b"kind,name,address\nhost,pc-1,10.0.0.1\nhost,pc-\x81\x20,10.0.0.2\n")
    assert "inv.csv:3: cannot read as utf-8 or gb18030; save the file as \"CSV UTF-8\"" in _error(path)


def test_semicolon_csv_is_detected(tmp_path):
    path = tmp_path / "inv.csv"
    path.write_text('kind;name;address;groups\nswitch;sw-1;10.0.0.1;\nhost;pc-1;10.0.0.2;"a;b"\n')
    (tmp_path / "inv.yaml").write_text("groups: {a: {}, b: {}}\n")
    inv = load_inventory(path)
    assert inv.get("pc-1").groups == ("a", "b") and inv.get("sw-1").kind == "network_device"


def test_out_unwritable_is_refused_before_the_checks(tmp_path):
    (tmp_path / "file").write_text("x")
    result = patrol("inspect", "--only", "system", "--out", str(tmp_path / "file" / "out"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"patrol: --out: cannot write to {tmp_path / 'file' / 'out'}: Not a directory"
    assert not (tmp_path / "var").exists()  # no check ran, nothing was stored


def test_state_dir_under_a_regular_file(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "p.yaml").write_text("paths: {state_dir: file/var}\n")
    result = patrol("-c", str(tmp_path / "p.yaml"), "inspect", "--only", "system", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "p.yaml: paths.state_dir: cannot create the store in" in result.stderr and "Not a directory" in result.stderr


def test_closed_pipe_is_quiet(tmp_path):
    import subprocess
    import sys

    script = (f"{sys.executable} -m agent.cli config example | head -c 10 >/dev/null; "
              f"{sys.executable} -m agent.cli tickets list --json | head -c 1 >/dev/null")
    (tmp_path / "inv.yaml").write_text("hosts:\n" + "".join(f"  - {{name: h{i}}}\n" for i in range(3000)))
    result = subprocess.run(["bash", "-c", f"set -o pipefail; {sys.executable} -m agent.cli inventory show "
                             f"--json {tmp_path / 'inv.yaml'} | head -c 1 >/dev/null; {script}"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.stderr == "", result.stderr


@pytest.mark.parametrize("name", ["inv.yaml", "inv.csv"])
def test_an_oversized_inventory_is_refused_before_it_is_read(tmp_path, monkeypatch, name):
    import config.loader

    monkeypatch.setattr(config.loader, "MAX_FILE_BYTES", 1000)
    path = tmp_path / name
    path.write_text("hosts:\n" + "".join(f"  - {{name: h{i}}}\n" for i in range(200)) if name.endswith("yaml")
                    else "kind,name\n" + "".join(f"host,h{i}\n" for i in range(200)))
    assert "larger than 0 MiB; split the inventory" in _error(path)
