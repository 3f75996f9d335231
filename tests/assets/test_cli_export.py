"""`patrol assets list | show | history | export` on a store with real captures and an inventory."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest

from agent.assets import archive
from agent.assets.glpi.inventory import GlpiExportError, document, schema
from agent.assets.join import join
from agent.assets.model import (AssetSnapshot, Component, Identity, NetworkInfo, PageCounter, PrinterInfo)
from agent.cli import main
from agent.context import store_components
from agent.store import Store
from config.loader import load_settings
from tests.assets.test_archive import DAY, T0, pc
from tests.support.proc import require_program

SITE_YAML = """\
site: {name: hq, customer: ACME}
hosts:
  - name: pc-1
    address: 192.0.2.21
    asset: {number: PC-0001, label: "=HYPERLINK(\\"http://x.invalid\\",\\"click\\")", user: 李雷, location: 二楼财务,
            supplier: 联想华东, serial: PC1WRONG, purchase_date: 2023-09-15, warranty_end: 2026-12-20}
  - name: pc-2
    address: 192.0.2.22
    asset: {number: PC-0002, label: "[bold red]boom[/]", warranty_end: 2029-01-01}
network_devices:
  - name: sw-1
    address: 192.0.2.2
    asset: {number: NET-0001, location: 机房}
printers:
  - name: prn-1
    address: 192.0.2.50
"""


@pytest.fixture
def site(tmp_path, monkeypatch):
    (tmp_path / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    config = tmp_path / "patrol.yaml"
    config.write_text("agent: {site: hq, name: collector-1}\npaths: {inventory: site.yaml, state_dir: var}\n"
                      "reports: {languages: [zh-CN, en], timezone: Asia/Shanghai}\n", encoding="utf-8")
    settings = load_settings(config)
    store = Store.open(settings.store_url, "hq", store_components())
    first = pc(T0)
    archive.record(store.engine, "hq", "pc-1", first)
    swapped = replace(first, captured_at=T0 + DAY, memory=(replace(first.memory[0], serial="5F0E9D11"), first.memory[1]))
    archive.record(store.engine, "hq", "pc-1", swapped)
    hostile = AssetSnapshot(kind="network", source="snmp", captured_at=T0,
                            identity=Identity(maker="Cisco", model="WS-C2960X\x1b]0;owned\x07-48FPD-L", serial="FOC1234X0AB"),
                            components=(Component(1, "chassis", "1", model="WS-C2960X-48FPD-L", serial="FOC1234X0AB",
                                                  software_rev="15.2(7)E8", fru=False),),
                            network=NetworkInfo(sys_descr="Cisco IOS Software, C2960X Software, Version 15.2(7)E8",
                                                sys_name="sw-1.acme.local", version="15.2(7)E8"))
    archive.record(store.engine, "hq", "sw-1", hostile)
    printer = AssetSnapshot(kind="printer", source="snmp", captured_at=T0, identity=Identity(maker="HP", model="HP LaserJet M507"),
                            printer=PrinterInfo("PHCVN191TG"), counters=(PageCounter(1, 1802),))
    archive.record(store.engine, "hq", "prn-1", printer)
    archive.record(store.engine, "hq", "gone-pc", replace(pc(T0), identity=replace(first.identity, serial="GONE1")))
    store.close()
    monkeypatch.chdir(tmp_path)
    return tmp_path, config


def run(config: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["-c", str(config), "assets", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_joins_inventory_and_archive(site, capsys):
    _, config = site
    code, out, _ = run(config, "list", "--json", capsys=capsys)
    assert code == 0
    by_id = {a["asset"]: a for a in json.loads(out)}
    assert set(by_id) == {"collector-1", "pc-1", "pc-2", "sw-1", "prn-1", "gone-pc"}
    pc1 = by_id["pc-1"]
    assert pc1["conflicts"] == [{"field": "serial", "typed": "PC1WRONG", "captured": "PC1ABCDE"}]
    assert pc1["typed"]["supplier"] == "联想华东" and pc1["captured"]["maker"] == "LENOVO"
    assert by_id["pc-2"]["last_seen"] is None and by_id["pc-2"]["warranty"] == "in_warranty"
    assert by_id["gone-pc"]["in_inventory"] is False
    assert by_id["prn-1"]["captured"]["serial"] == "PHCVN191TG"  # Printer-MIB serial where SMBIOS has none


def test_list_table_prints_device_text_literally(site, capsys):
    _, config = site
    code, out, _ = run(config, "list", "--wide", capsys=capsys)
    assert code == 0
    assert "\x1b]0;owned" not in out and "\x07" not in out
    assert "PC1WRONG" in out and "never captured" in out
    code, out, _ = run(config, "show", "pc-2", "--wide", capsys=capsys)
    assert "[bold red]boom[/]" in out  # markup in a typed-in label is text, not style


def test_show_and_history(site, capsys):
    _, config = site
    code, out, _ = run(config, "show", "pc-1", "--wide", capsys=capsys)
    assert code == 0
    assert "conflict: serial typed 'PC1WRONG', captured 'PC1ABCDE'" in out
    assert "5F0E9D11" in out and "2 programs installed" in out
    code, out, _ = run(config, "show", "pc-1", "--json", capsys=capsys)
    assert json.loads(out)["snapshot"]["memory"][0]["serial"] == "5F0E9D11"
    code, out, _ = run(config, "history", "pc-1", "--json", capsys=capsys)
    doc = json.loads(out)
    assert [(c["path"], c["before"], c["after"]) for c in doc["changes"]] == [
        ("memory[ChannelA-DIMM0].serial", "3A1B2C3D", "5F0E9D11")]
    assert len(doc["versions"]) == 2
    code, out, _ = run(config, "history", "pc-1", "--wide", capsys=capsys)
    assert "memory ChannelA-DIMM0.serial: 3A1B2C3D -> 5F0E9D11" in out and "2 content version(s), 1 change(s)" in out


def test_unknown_asset_and_bad_day_are_usage_errors(site, capsys):
    _, config = site
    code, _, err = run(config, "show", "gone_pc", capsys=capsys)
    assert code == 2 and "no asset named 'gone_pc' in site 'hq'; did you mean 'gone-pc'?" in err
    code, _, err = run(config, "history", "pc-1", "--since", "2026-13-01", capsys=capsys)
    assert code == 2 and "--since: '2026-13-01' is not a day" in err


def test_csv_export_in_chinese_guards_formulas(site, capsys):
    tmp, config = site
    code, out, _ = run(config, "export", "--format", "csv", "--out", str(tmp / "csv"), capsys=capsys)
    assert code == 0
    files = {Path(p).name for p in out.split()}
    assert {"assets-devices.csv", "assets-memory.csv", "assets-software.csv", "assets-changes.csv",
            "assets-conflicts.csv", "assets-components.csv"} <= files
    raw = (tmp / "csv" / "assets-devices.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = list(csv.DictReader((tmp / "csv" / "assets-devices.csv").open(encoding="utf-8-sig")))
    pc1 = next(r for r in rows if r["设备"] == "pc-1")
    assert pc1["标签"].startswith("'=HYPERLINK(")  # CSV injection guard
    assert pc1["序列号"] == "PC1WRONG" and pc1["登记与采集不一致"] == "serial: PC1WRONG / PC1ABCDE"
    assert pc1["保修状态"] == "90 天内到期" and pc1["使用人"] == "李雷" and pc1["在清单中"] == "是"
    sw = next(r for r in rows if r["设备"] == "sw-1")
    assert sw["型号"] == "WS-C2960X-48FPD-L" and sw["固件版本"] == "15.2(7)E8"  # the escape sequence is gone
    changes = list(csv.DictReader((tmp / "csv" / "assets-changes.csv").open(encoding="utf-8-sig")))
    assert [(c["设备"], c["字段"], c["变更前"], c["变更后"]) for c in changes] == [
        ("pc-1", "memory[ChannelA-DIMM0].serial", '"3A1B2C3D"', '"5F0E9D11"')]


def test_xlsx_export_reads_back_with_openpyxl(site, capsys):
    from openpyxl import load_workbook

    tmp, config = site
    code, _, _ = run(config, "export", "--format", "xlsx", "--lang", "en", "--out", str(tmp / "assets.xlsx"),
                     capsys=capsys)
    assert code == 0
    book = load_workbook(tmp / "assets.xlsx")
    assert book.sheetnames == ["Devices", "CPUs", "Memory", "Disks", "Network adapters", "Monitors", "Software",
                               "Components", "Changes", "Conflicts"]
    devices = book["Devices"]
    header = [c.value for c in devices[1]]
    rows = {r[0]: dict(zip(header, r)) for r in devices.iter_rows(min_row=2, values_only=True)}
    pc1 = rows["pc-1"]
    assert pc1["Label"] == '=HYPERLINK("http://x.invalid","click")'  # kept exactly, as text
    label_cell = next(c for c in devices[2 + sorted(rows).index("pc-1")] if c.column == header.index("Label") + 1)
    assert label_cell.data_type == "s"
    assert pc1["Warranty end"] == datetime(2026, 12, 20) and pc1["Memory (GiB)"] == 16.0
    assert pc1["Warranty"] == "ends within 90 days"
    memory = [r for r in book["Memory"].iter_rows(min_row=2, values_only=True) if r[0] == "pc-1"]
    assert [(r[1], r[6]) for r in memory] == [("ChannelA-DIMM0", "5F0E9D11"), ("ChannelB-DIMM0", "3A1B2C3E")]
    software = {r[1] for r in book["Software"].iter_rows(min_row=2, values_only=True)}
    assert {"7-Zip 23.01 (x64)", "WPS Office"} <= software


def test_xlsx_in_chinese_opens_in_libreoffice(site, capsys, tmp_path):
    soffice = require_program("soffice", "libreoffice-calc-nogui")
    tmp, config = site
    code, _, _ = run(config, "export", "--format", "xlsx", "--lang", "zh-CN", "--out", str(tmp / "台账.xlsx"),
                     capsys=capsys)
    assert code == 0
    out = tmp / "lo"
    profile = tmp / "lo-profile"
    # every sheet to its own CSV (filter option token 12 = -1), UTF-8 (token 3 = 76)
    result = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                             "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                             "--outdir", str(out), str(tmp / "台账.xlsx")],
                            capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(tmp)})
    assert result.returncode == 0, result.stderr
    sheets = {p.name: p for p in out.glob("*.csv")}
    assert "台账-设备.csv" in sheets and "台账-内存.csv" in sheets, sorted(sheets)
    rows = list(csv.reader(sheets["台账-设备.csv"].open(encoding="utf-8")))
    assert rows[0][:4] == ["设备", "类型", "地址", "资产编号"]
    pc1 = next(r for r in rows if r[0] == "pc-1")
    assert '=HYPERLINK("http://x.invalid","click")' in pc1  # LibreOffice kept it as text, did not run it
    assert "2026-12-20" in pc1


def test_glpi_export_validates_against_the_published_schema(site, capsys):
    tmp, config = site
    code, out, _ = run(config, "export", "--format", "glpi", "--out", str(tmp / "glpi"), capsys=capsys)
    assert code == 0, out
    docs = {Path(p).stem: json.loads(Path(p).read_text(encoding="utf-8")) for p in out.split()}
    assert set(docs) == {"collector-1", "pc-1", "pc-2", "sw-1", "prn-1", "gone-pc"}
    validator = jsonschema.Draft7Validator(schema(), format_checker=jsonschema.FormatChecker())
    for name, doc in docs.items():
        assert not list(validator.iter_errors(doc)), name
    pc1 = docs["pc-1"]
    assert pc1["itemtype"] == "Computer" and pc1["deviceid"] == "pc-1-2026-11-03-07-00-00"
    content = pc1["content"]
    assert content["bios"]["ssn"] == "PC1WRONG" and content["bios"]["assettag"] == "PC-0001"  # typed in wins
    assert content["hardware"]["memory"] == 16384
    assert [m["serialnumber"] for m in content["memories"]] == ["5F0E9D11", "3A1B2C3E"]
    assert content["memories"][0]["capacity"] == 8192
    assert content["storages"][0]["disksize"] == 244198  # MB, as the schema wants
    assert content["networks"][0] == {"description": "Intel(R) Ethernet Connection (7) I219-V", "mac": "8c:16:45:aa:bb:cc",
                                      "type": "ethernet", "ipaddress": "192.0.2.21", "ipmask": "255.255.255.0",
                                      "ipsubnet": "192.0.2.0"}
    assert {s["name"] for s in content["softwares"]} == {"7-Zip 23.01 (x64)", "WPS Office"}
    assert content["operatingsystem"]["full_name"] == "Microsoft Windows 11 专业版 Professional"
    sw = docs["sw-1"]
    assert sw["itemtype"] == "NetworkEquipment" and sw["action"] == "netinventory"
    assert sw["content"]["network_device"]["firmware"] == "15.2(7)E8"
    assert sw["content"]["network_device"]["location"] == "机房"
    assert sw["content"]["network_components"][0]["fru"] == 0
    prn = docs["prn-1"]["content"]
    assert prn["network_device"]["type"] == "Printer" and prn["network_device"]["serial"] == "PHCVN191TG"
    assert prn["pagecounters"] == {"total": 1802}
    never = docs["pc-2"]["content"]
    assert never["bios"] == {"assettag": "PC-0002"} and "cpus" not in never


def test_a_document_glpi_would_refuse_is_an_error(site):
    from inventory.models import Inventory

    bad = replace(pc(T0), adapters=(replace(pc().adapters[0], kind="ethernet"),),
                  cpus=(replace(pc().cpus[0], cores=None),))
    (entry,) = join(Inventory(), [archive.CurrentAsset("hq", "x", "computer", "h", T0, T0, T0, bad)])
    document(entry, version="0.1.0", now=T0)  # valid
    broken = replace(bad, os=replace(bad.os, name=None), identity=replace(bad.identity, bios_date=date(2023, 2, 1)))
    (entry,) = join(Inventory(), [archive.CurrentAsset("hq", "x", "computer", "h", T0, T0, T0, broken)])
    doc = document(entry, version="0.1.0", now=T0)
    doc["content"]["networks"][0]["ipaddress"] = "192.0.2.300"
    from agent.assets.glpi.inventory import validate
    with pytest.raises(GlpiExportError, match=r"'x': content.networks.0.ipaddress: '192.0.2.300' is not a 'ipv4'"):
        validate(doc, "x")
