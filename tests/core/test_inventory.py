"""Inventory: inheritance target -> groups -> defaults, CSV, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import ConfigError
from inventory.loader import load_inventory

SITE = """\
site: {name: hq, customer: ACME Ltd}
defaults:
  criticality: normal
  snmp: {community: env:SNMP_RO, timeout_s: 3}
  tags: {contract: gold}
groups:
  core:
    criticality: critical
    snmp: {port: 1161}
    uplinks: [Gi1/0/48]
  office:
    depends_on: [sw-core-1]
    tags: {floor: "2"}
hosts:
  - name: pc-001
    address: 10.1.0.21
    groups: [office]
    asset: {number: A-001, user: Li Lei, warranty_end: 2027-03-31}
  - name: pc-002
    address: pc-002.example.internal
    groups: [office]
    criticality: high
network_devices:
  - name: sw-core-1
    address: 10.1.0.1
    groups: [core]
    platform: cisco_ios
    uplinks: [Gi1/0/47]
    snmp: {retries: 3}
printers:
  - name: prn-2f
    address: 10.1.0.50
    groups: [office]
"""


def load(tmp_path: Path, text: str, name: str = "inv.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_inventory(path, local_name="collector-1")


def errors(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return str(info.value)


def test_inheritance_target_over_groups_over_defaults(tmp_path):
    inv = load(tmp_path, SITE)
    sw = inv.get("sw-core-1")
    assert sw.criticality == "critical"                       # from group core
    assert (sw.snmp.port, sw.snmp.timeout_s, sw.snmp.retries) == (1161, 3.0, 3)  # group, defaults, own: merged field by field
    assert str(sw.snmp.community) == "env:SNMP_RO"            # from defaults
    assert sw.uplinks == ("Gi1/0/48", "Gi1/0/47")             # lists are combined, group first
    pc1, pc2 = inv.get("pc-001"), inv.get("pc-002")
    assert pc1.criticality == "normal" and pc2.criticality == "high"
    assert pc1.depends_on == ("sw-core-1",)
    assert pc1.tags == {"contract": "gold", "floor": "2"}
    assert pc1.asset.user == "Li Lei" and str(pc1.asset.warranty_end) == "2027-03-31"
    assert inv.site.customer == "ACME Ltd"


def test_local_host_is_added_and_dependents_are_found(tmp_path):
    inv = load(tmp_path, SITE)
    assert inv.local.name == "collector-1" and inv.local.local
    assert set(inv.dependents_of("sw-core-1")) == {"pc-001", "pc-002", "prn-2f"}


def test_inventory_entry_for_this_computer_becomes_local(tmp_path):
    inv = load_inventory(None, local_name="pc-9")
    assert [h.name for h in inv.hosts] == ["pc-9"]
    path = tmp_path / "i.yaml"
    path.write_text("hosts:\n  - {name: pc-001, address: 10.0.0.2, criticality: high}\n")
    inv = load_inventory(path, local_name="pc-001")
    assert len(inv.hosts) == 1 and inv.local.criticality == "high"


@pytest.mark.parametrize("text, expected", [
    pytest.param("hosts:\n  - {name: a, address: 10.0.0.1}\n  - {name: a, address: 10.0.0.2}\n",
                 "inv.yaml:3: hosts[1].name: duplicate name 'a' (first at line 2)", id="duplicate-name"),
    pytest.param("hosts:\n  - {name: a}\nprinters:\n  - {name: a}\n", "inv.yaml:4: printers[0].name: duplicate name 'a'",
                 id="duplicate-across-sections"),
    pytest.param("groups: {core: {}}\nhosts:\n  - {name: a, groups: [Core]}\n",
                 "inv.yaml:3: hosts[0].groups: unknown group 'Core'; did you mean 'core'?", id="unknown-group-case"),
    pytest.param("hosts:\n  - {name: a, groups: [nope]}\n", "unknown group 'nope'; defined groups: none", id="unknown-group"),
    pytest.param("hosts:\n  - name: a\n    address: 10.0.0.300\n",
                 "inv.yaml:3: hosts[0].address: '10.0.0.300' is neither an IP address nor a valid host name", id="bad-ip"),
    pytest.param("hosts:\n  - name: a\n    address: 'bad host'\n", "is neither an IP address nor a valid host name", id="bad-hostname"),
    pytest.param("hosts:\n  - name: a\n    depends_on: [ghost]\n", "'a' depends on unknown target 'ghost'", id="unknown-parent"),
    pytest.param("hosts:\n  - {name: a, depends_on: [b]}\n  - {name: b, depends_on: [a]}\n", "dependency cycle", id="cycle"),
    pytest.param("hostz: []\n", "inv.yaml:1: hostz: unknown section 'hostz'", id="unknown-section"),
    pytest.param("hosts:\n  - name: a\n    colour: red\n", "inv.yaml:3: hosts[0].colour: unknown key 'colour'", id="unknown-field"),
    pytest.param("network_devices:\n  - name: sw\n    snmp: {version: '3'}\n", "SNMP v3 needs 'user'", id="snmpv3-incomplete"),
    pytest.param("network_devices:\n  - name: sw\n    snmp: {}\n", "SNMP v2c needs 'community'", id="snmpv2-no-community"),
    pytest.param("hosts:\n  - name: 'a b'\n", "not a valid name", id="bad-name"),
])
def test_errors(tmp_path, text, expected):
    assert expected in errors(tmp_path, text)


CSV = """\
kind,name,address,groups,platform,criticality,depends_on,asset.number,asset.user
switch,sw-1,10.2.0.1,core,cisco_ios,,,,
host,pc-100,10.2.0.10,office,,,sw-1,A-100,Han Meimei
printer,prn-1,10.2.0.50,,,low,sw-1,,
"""

SIDE = "site: {name: branch}\ngroups:\n  core: {criticality: critical, snmp: {community: env:RO}}\n  office: {}\n"


def test_csv_with_groups_from_sidecar_yaml(tmp_path):
    (tmp_path / "inv.csv").write_text(CSV)
    (tmp_path / "inv.yaml").write_text(SIDE)
    inv = load_inventory(tmp_path / "inv.csv", local_name="me")
    assert inv.site.name == "branch"
    sw = inv.get("sw-1")
    assert sw.kind == "network_device" and sw.criticality == "critical" and str(sw.snmp.community) == "env:RO"
    pc = inv.get("pc-100")
    assert pc.asset.number == "A-100" and pc.asset.user == "Han Meimei" and pc.depends_on == ("sw-1",)
    assert inv.get("prn-1").criticality == "low"


def test_csv_errors_name_the_row_line(tmp_path):
    (tmp_path / "inv.csv").write_text("kind,name,address\nhost,pc-1,10.0.0.1\nhost,pc-2,999.1.1.1\nfridge,x,10.0.0.3\n")
    with pytest.raises(ConfigError) as info:
        load_inventory(tmp_path / "inv.csv")
    assert "inv.csv:4: kind: unknown kind 'fridge'" in str(info.value)
    (tmp_path / "inv.csv").write_text("kind,name,address\nhost,pc-1,10.0.0.1\nhost,pc-2,999.1.1.1\n")
    with pytest.raises(ConfigError) as info:
        load_inventory(tmp_path / "inv.csv")
    assert "inv.csv:3: hosts[1].address" in str(info.value)


def test_unknown_key_in_defaults_or_group(tmp_path):
    text = errors(tmp_path, "defaults: {criticallity: high}\ngroups:\n  g: {snmpp: {}}\n")
    assert "inv.yaml:1: defaults.criticallity: unknown key 'criticallity' (not a field of any target kind); did you mean 'criticality'?" in text
    assert "inv.yaml:3: groups.g.snmpp" in text
