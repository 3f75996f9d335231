"""The examples in docs/ load: a documented config that does not validate is a bug."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config.loader import load_settings, parse_yaml, validate
from config.schema import Settings
from inventory.loader import load_inventory

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_example_config_and_inventory_load():
    settings = load_settings(DOCS / "examples" / "patrol.yaml")
    inventory = load_inventory(settings.resolve(settings.paths.inventory), local_name="collector-hq")
    assert inventory.site.customer == "ACME Trading Ltd"
    assert inventory.get("sw-2f").snmp.version == "3"
    assert set(inventory.dependents_of("sw-core-1")) >= {"pc-0412", "srv-files", "prn-2f-hall", "sw-2f"}


def test_example_csv_inventory_loads():
    inventory = load_inventory(DOCS / "examples" / "site.csv", local_name="collector-hq")
    assert inventory.get("sw-core-1").criticality == "critical"
    assert inventory.get("pc-0412").asset.user == "Li Lei"


def yaml_blocks(doc: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", (DOCS / doc).read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("doc", ["configuration.md", "checks-system.md", "running.md", "fleet.md", "scale.md"])
def test_yaml_snippets_in_docs_validate(doc):
    for block in yaml_blocks(doc):
        if block.lstrip().startswith(("scrape_configs", "route:")):
            continue  # a Prometheus or Alertmanager config, not Patrol's
        validate(Settings, parse_yaml(block, doc))
