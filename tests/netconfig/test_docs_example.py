"""The snippets in docs/network-printers-and-config.md load and mean what the doc says."""

from __future__ import annotations

import re
from pathlib import Path

from collectors.netconfig import NetconfigCollector
from collectors.printer_snmp import PrinterSnmpCollector
from config.checks.netconfig import NetconfigParams
from config.checks.printer_snmp import PrinterSnmpParams
from config.loader import parse_yaml, validate
from config.schema import Settings
from inventory.loader import resolve

DOC = Path(__file__).resolve().parents[2] / "docs" / "network-printers-and-config.md"


def blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_example_inventory_gives_the_targets_of_both_families():
    inventory = resolve(parse_yaml(blocks()[0], DOC.name))
    backups = NetconfigCollector().targets(NetconfigParams(), inventory)
    assert [(d.name, d.platform) for d in backups] == [("core-sw1", "cisco_ios"), ("h3c-sw2", "hp_comware"),
                                                       ("huawei-ar1", "huawei")]
    assert str(backups[0].cli.enable_secret) == "env:CISCO_ENABLE"
    printers = PrinterSnmpCollector().targets(PrinterSnmpParams(), inventory)
    assert [p.name for p in printers] == ["prn-office-1", "prn-color-2"]


def test_example_settings_validate():
    checks = validate(Settings, parse_yaml(blocks()[1], DOC.name)).checks
    assert checks.printer_snmp.condition_state("lowPaper") == "ok"
    assert checks.printer_snmp.condition_state("jammed") == "crit"
    assert checks.netconfig.extra_secret_patterns == ("ppp chap password",)
    assert checks.netconfig.findings.open_after == 1


def test_defaults_match_the_doc():
    printer, netconfig = PrinterSnmpParams(), NetconfigParams()
    assert (printer.supply_warn_percent, printer.supply_crit_percent, printer.tray_empty_state) == (15, 0, "warn")
    assert (netconfig.repository, netconfig.change_hold_h, netconfig.max_diff_lines) == ("configs", 24, 400)
    assert netconfig.mask_secrets_in_repository is False
    assert (printer.schedule.interval_s, netconfig.schedule.interval_s) == (300, 3600)
