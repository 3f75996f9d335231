"""Windows capture parsers on published outputs of real machines (fixtures/windows, sources
in fixtures/SOURCES.md), a zh-CN Windows 10 among them, and the whole script output."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from agent.assets.capture import windows
from agent.assets.model import to_json
from collectors.base import CommandOutput, ParseError
from tests.assets.windows_recordings import spaced, wmic

AT = datetime(2026, 12, 6, tzinfo=timezone.utc)


def test_zh_cn_operating_system():
    os_ = windows.operating_system(spaced("zhcn-fz-laptop-Win32_OperatingSystem.txt", "OperatingSystem")[0], [], None)
    assert os_.name == "Microsoft Windows 10 专业版"  # the localized caption, as Windows shows it
    assert os_.edition == "Professional"  # from OperatingSystemSKU 48, whatever the language
    assert (os_.version, os_.build, os_.architecture) == ("10.0.16299", "16299", "64-bit")  # "64 位"


@pytest.mark.parametrize("rows, licence", [
    ([{"Name": "Windows(R), Professional edition", "Description": "Windows(R) Operating System, RETAIL channel",
       "LicenseStatus": 1}], "licensed"),
    ([{"Name": "Windows(R), ServerStandard edition", "LicenseStatus": 5}], "notification"),
    ([{"Name": "a", "LicenseStatus": 0}, {"Name": "b", "LicenseStatus": 1}], "licensed"),  # ESU add-ons beside the OS
    ([], "no product key"),
])
def test_licence_status(rows, licence):
    assert windows.operating_system({"Caption": "x"}, rows, None).licence == licence


def test_licence_query_that_failed_is_unknown_not_unlicensed():
    assert windows.operating_system({"Caption": "x"}, [], "Access denied").licence is None


def test_identity_from_real_outputs():
    dell = windows.identity({"ComputerSystemProduct": wmic("ionepub-dell-optiplex-3040-csproduct.txt",
                                                           "ComputerSystemProduct")}, "UEFI")
    assert (dell.maker, dell.model, dell.serial, dell.uuid, dell.firmware) == (
        "Dell Inc.", "OptiPlex 3040", "79K1JD2", "4c4c4544-0039-4b10-8031-b7c04f4a4432", "uefi")


def test_memory_module_maker_codes():
    # CONSTRUCTED row (the published Win32_PhysicalMemory dumps used before came from a source that
    # may not be committed): a JEDEC-coded maker and the SMBIOS memory type number
    coded = windows.memory([{"DeviceLocator": "DIMM1", "Capacity": 8589934592, "Manufacturer": "80CE", "SMBIOSMemoryType": 26}])
    assert (coded[0].maker, coded[0].type) == ("Samsung", "DDR4")


@pytest.mark.parametrize("health, status, expected", [
    ("Warning", None, "failed"), (2, None, "failed"), (5, None, "not readable"), (None, "Pred Fail", "failed"),
    (None, "Unknown", "not readable"),
])
def test_disk_health(health, status, expected):
    physical = [{"DeviceId": "0", "HealthStatus": health}] if health is not None else []
    [disk] = windows.disks([{"Index": 0, "DeviceID": "d0", "Status": status}], physical)
    assert disk.health == expected and (expected == "passed" or disk.health_detail)


def test_monitor_from_wmimonitorid_arrays():
    # WmiMonitorID gives uint16 arrays padded with zeros (CONSTRUCTED: no published WmiMonitorID output
    # was found); values of the Dell E2219HN whose real EDID is in fixtures/edid (maker DEL, product
    # 0x2009, serial 0TYT87AD01XB, 2017): the same monitor as Windows would show it.
    def codes(text: str, size: int) -> list[int]:
        return [ord(c) for c in text] + [0] * (size - len(text))

    row = {"InstanceName": "DISPLAY\\DEL2009\\5&2b5b2bd3&0&UID4352_0", "ManufacturerName": codes("DEL", 16),
           "ProductCodeID": codes("2009", 16), "SerialNumberID": codes("0TYT87AD01XB", 16),
           "UserFriendlyName": codes("DELL E2219HN", 13), "YearOfManufacture": 2017}
    [m] = windows.monitors([row])
    assert (m.maker, m.model, m.product_code, m.serial, m.year) == ("DEL", "DELL E2219HN", 0x2009, "0TYT87AD01XB", 2017)


def _output(payload: dict, bom: bool = True) -> CommandOutput:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return CommandOutput(("powershell.exe",), 0, (b"\xef\xbb\xbf" if bom else b"") + body, b"")


def test_whole_output_assembled_from_recordings():
    """The script's JSON built from the recordings above (two machines: a composite), with the
    BOM Windows PowerShell 5.1 writes; MSFT_PhysicalDisk failing as on Windows 7. No published
    output of the processor, memory, disk, adapter or Uninstall queries is kept (SOURCES.md), so
    those classes answer empty here."""
    classes = {
        "ComputerSystemProduct": wmic("ionepub-dell-optiplex-3040-csproduct.txt", "ComputerSystemProduct"),
        "Processor": [], "PhysicalMemory": [], "DiskDrive": [], "NetworkAdapterConfiguration": [],
        "MonitorID": [], "OperatingSystem": spaced("zhcn-fz-laptop-Win32_OperatingSystem.txt", "OperatingSystem"),
        "Licensing": [{"Name": "Windows(R), Professional edition", "Description": "Windows(R) Operating System, "
                       "OEM_DM channel", "LicenseStatus": 1}],
        "Software": [],
    }
    errors = {"PhysicalDisk": "Invalid namespace "}
    snap = windows.parse(_output({"Firmware": "Legacy", "Classes": classes, "Errors": errors}), AT)
    assert snap.source == "windows" and snap.identity.serial == "79K1JD2" and snap.identity.firmware == "bios"
    assert snap.os.name == "Microsoft Windows 10 专业版" and snap.os.licence == "licensed"
    assert (snap.memory, snap.disks, snap.adapters, snap.software) == ((), (), (), ())
    # with no disk listed the failed MSFT_PhysicalDisk query is a gap of its own, and no module is a gap
    assert [g.part for g in snap.gaps] == ["PhysicalDisk", "memory modules"]
    json.dumps(to_json(snap), ensure_ascii=False)  # serialisable as pushed


def test_failed_classes_become_gaps():
    errors = {"MonitorID": "不支持", "PhysicalMemory": "拒绝访问。", "Licensing": "Access denied"}
    snap = windows.parse(_output({"Firmware": None, "Classes": {"OperatingSystem": [{"Caption": "Windows"}]},
                                  "Errors": errors}, bom=False), AT)
    gaps = {g.part: g.reason for g in snap.gaps}
    assert gaps == {"monitors": "不支持", "memory modules": "拒绝访问。", "os licence": "Access denied"}
    assert snap.os.licence is None and snap.identity.firmware is None


@pytest.mark.parametrize("stdout, message", [
    (b"", "PowerShell printed nothing"),
    (b'{"Classes": [1]}', "expected an object with Classes"),
    (b'{"Classes": {"Processor": [1]}}', "expected JSON objects"),
    (b'{"Classes": {', "not complete JSON"),
    ("{\"Classes\": {}}".encode("gbk") + "中".encode("gbk"), "not UTF-8"),
])
def test_bad_output_is_a_clear_error(stdout, message):
    with pytest.raises(ParseError, match=message):
        windows.parse(CommandOutput(("powershell.exe",), 0, stdout, b""), AT)


def test_script_runs_each_query_on_its_own():
    assert windows.SCRIPT.count("try {") == len(windows.QUERIES)
    assert "ApplicationID=''55c92734-d682-4d71-983e-d6ec3f16059f''" in windows.SCRIPT  # quoted inside a '...' literal
    assert '"' not in windows.SCRIPT  # no double quotes for the command line to mangle
