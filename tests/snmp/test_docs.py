"""The examples in docs/network-snmp.md load: inventory, settings and the profile of a new vendor."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from collectors.snmp.profiles import Profile
from config.loader import parse_yaml, validate
from config.schema import Settings
from inventory.loader import resolve

DOC = Path(__file__).resolve().parents[2] / "docs" / "network-snmp.md"


def _blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_inventory_example_loads() -> None:
    text = next(b for b in _blocks() if "network_devices:" in b and "core-sw1" in b)
    inventory = resolve(parse_yaml(text, "docs/network-snmp.md"))
    core = inventory.get("core-sw1")
    assert core.snmp.version == "3" and core.snmp.priv_protocol == "AES" and core.uplinks == ("Te1/1/1", "Te1/1/2")
    assert inventory.get("floor2-sw1").snmp.community is not None  # from the group


def test_v3_example_loads() -> None:
    text = next(b for b in _blocks() if "dist-sw1" in b)
    inventory = resolve(parse_yaml(text, "docs/network-snmp.md"))
    dist, old = inventory.get("dist-sw1").snmp, inventory.get("old-router").snmp
    assert (dist.auth_protocol, dist.priv_protocol, dist.backend) == ("SHA256", "AES256C", "lean")
    assert (old.auth_protocol, old.priv_protocol, old.backend) == ("MD5", "DES", "pysnmp")


def test_settings_example_loads() -> None:
    text = next(b for b in _blocks() if b.startswith("checks:"))
    settings = validate(Settings, parse_yaml(text, "docs/network-snmp.md"))
    assert settings.checks.switch.site_concurrency == 64
    assert settings.checks.switch.port_types == (6, 117, 161)


def test_new_vendor_profile_example_is_valid() -> None:
    text = next(b for b in _blocks() if b.startswith("name: acme"))
    profile = Profile.model_validate(yaml.safe_load(text))
    assert profile.extends == "generic" and len(profile.columns()) == 9
