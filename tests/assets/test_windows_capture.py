"""Windows capture parsers on published outputs of real machines (fixtures/windows, sources
in fixtures/SOURCES.md), a zh-CN Windows 10 among them, and the whole script output."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from agent.assets.capture import windows
from agent.assets.model import to_json
from collectors.base import CommandOutput, ParseError
from tests.assets.windows_recordings import spaced, uninstall_reg, wmic

AT = datetime(2026, 12, 6, tzinfo=timezone.utc)


def test_zh_cn_operating_system():
    os_ = windows.operating_system(spaced("zhcn-fz-laptop-Win32_OperatingSystem.txt", "OperatingSystem")[0], [], None)
    assert os_.name == "Microsoft Windows 10 专业版"  # the localized caption, as Windows shows it
    assert os_.edition == "Professional"  # from OperatingSystemSKU 48, whatever the language
    assert (os_.version, os_.build, os_.architecture) == ("10.0.16299", "16299", "64-bit")  # "64 位"


def test_french_windows_7():
    os_ = windows.operating_system(wmic("glpi-win7-sp1-x64-Win32_OperatingSystem.wmi", "OperatingSystem")[0], [], None)
    assert (os_.name, os_.edition, os_.architecture, os_.build) == (
        "Microsoft Windows 7 Professionnel", "Professional", "32-bit", "7600")


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
    proxmox = windows.identity({"BIOS": wmic("glpi-proxmox-Win32_Bios.wmi", "BIOS"),
                                "ComputerSystem": wmic("glpi-proxmox-Win32_ComputerSystem.wmi", "ComputerSystem")}, None)
    assert (proxmox.maker, proxmox.model, proxmox.bios_date, proxmox.bios_vendor) == (
        "BOCHS_", "BXPC____", date(2014, 4, 1), None)
    thinkpad = windows.identity({"ComputerSystem": wmic("glpi-11-AzureAD-Win32_ComputerSystem.wmi", "ComputerSystem")}, "Legacy")
    assert (thinkpad.maker, thinkpad.model, thinkpad.firmware) == ("LENOVO", "20TBS57S00", "bios")
    assert thinkpad.sku == "LENOVO_MT_20TB_BU_Think_FM_ThinkPad E14 Gen 2"


def test_processors():
    i5 = windows.cpus(wmic("glpi-7-Win32_Processor.wmi", "Processor"))
    assert [(c.model, c.socket, c.cores, c.threads, c.max_mhz) for c in i5] == [
        ("Intel(R) Core(TM) i5-2300 CPU @ 2.80GHz", "LGA1155", 4, 4, 2801)]
    epyc = windows.cpus(wmic("glpi-2019-amd-epyc-Win32_Processor.wmi", "Processor"))
    assert epyc[0].model == "AMD EPYC 7302 16-Core Processor" and epyc[0].socket is None  # "None" is no socket


def test_memory_modules():
    fr = windows.memory(wmic("glpi-7-Win32_PhysicalMemory.wmi", "PhysicalMemory"))
    assert [(m.slot, m.bank, m.size_bytes, m.speed_mts, m.maker, m.serial, m.part_number) for m in fr][:1] == [
        ("DIMM1", "BANK1", 2 * 2**30, 1600, None, None, "F3-12800CL9-2GBXL")]  # "Undefined", "0000000": none
    xp = windows.memory(wmic("glpi-xp-Win32_PhysicalMemory.wmi", "PhysicalMemory"))
    assert [m.slot for m in xp] == ["DIMM_A", "DIMM_B"] and {m.size_bytes for m in xp} == {2 * 2**30}
    coded = windows.memory([{"DeviceLocator": "DIMM1", "Capacity": 8589934592, "Manufacturer": "80CE", "SMBIOSMemoryType": 26}])
    assert (coded[0].maker, coded[0].type) == ("Samsung", "DDR4")


def test_disks_with_and_without_msft_physicaldisk():
    nvme = windows.disks(wmic("glpi-latitude-7480-Win32_DiskDrive.wmi", "DiskDrive"),
                         wmic("glpi-latitude-7480-MSFT_PhysicalDisk.wmi", "PhysicalDisk"))
    assert [(d.name, d.model, d.serial, d.size_bytes, d.type, d.bus, d.health) for d in nvme] == [
        ("\\\\.\\PHYSICALDRIVE0", "PC300 NVMe SK hynix 512GB", "ACE4_2E61_9000_7804", 512110190592, "nvme", "NVMe",
         "passed")]
    win7 = windows.disks(wmic("glpi-win7-sp1-x64-Win32_DiskDrive.wmi", "DiskDrive"), [])
    assert [(d.serial, d.bus, d.health) for d in win7] == [("VB2cff0f95-b2f7db11", "IDE", "passed"),
                                                          (None, "SCSI", "passed")]
    vbox = windows.disks([{"Index": 0, "DeviceID": "\\\\.\\PHYSICALDRIVE0", "Model": "VBOX HARDDISK ATA Device"}],
                         wmic("glpi-win10-edu-2020-fr-MSFT_PhysicalDisk.wmi", "PhysicalDisk"))
    assert (vbox[0].serial, vbox[0].bus, vbox[0].type) == ("VB56f85924-28919b73", "SATA", "unknown")  # MediaType 0


@pytest.mark.parametrize("health, status, expected", [
    ("Warning", None, "failed"), (2, None, "failed"), (5, None, "not readable"), (None, "Pred Fail", "failed"),
    (None, "Unknown", "not readable"),
])
def test_disk_health(health, status, expected):
    physical = [{"DeviceId": "0", "HealthStatus": health}] if health is not None else []
    [disk] = windows.disks([{"Index": 0, "DeviceID": "d0", "Status": status}], physical)
    assert disk.health == expected and (expected == "passed" or disk.health_detail)


def test_adapters_only_ip_enabled():
    got = windows.adapters(wmic("glpi-10-net-Win32_NetworkAdapterConfiguration.wmi", "NetworkAdapterConfiguration",
                                where=("IPEnabled", "TRUE")))
    assert [(a.name, a.mac, a.ips) for a in got] == [
        ("Targus Giga Ethernet", "00:50:00:00:f3:6d", ("192.168.0.2/24", "fe80::2c1f:9a1f:dedd:699c/64")),
        ("Hyper-V Virtual Ethernet Adapter", "00:15:5d:00:00:96", ("172.17.141.1/28", "fe80::e1b8:381c:382e:d940/64"))]


def test_software_from_a_russian_windows_10():
    rows = uninstall_reg("glpi-10_russian-Uninstall.reg")
    got = windows.software(rows + rows)  # the same keys seen twice (32-bit PowerShell): listed once
    assert [(s.name, s.version, s.publisher, s.installed_on) for s in got] == [
        ("КриптоПро CSP", "5.0.12000", "Компания КриптоПро", date(2021, 7, 24)), ("1C Предприятие 7.7", "77.27", None, None)]


def test_monitor_from_wmimonitorid_arrays():
    # WmiMonitorID gives uint16 arrays padded with zeros; values of the Dell U2415 whose EDID is
    # in fixtures/edid (maker DEL, product 0xA0B9, serial 7MT019AI34EU, 2019): the same monitor seen by Windows.
    def codes(text: str, size: int) -> list[int]:
        return [ord(c) for c in text] + [0] * (size - len(text))

    row = {"InstanceName": "DISPLAY\\DELA0B9\\5&2b5b2bd3&0&UID4352_0", "ManufacturerName": codes("DEL", 16),
           "ProductCodeID": codes("A0B9", 16), "SerialNumberID": codes("7MT019AI34EU", 16),
           "UserFriendlyName": codes("DELL U2415", 13), "YearOfManufacture": 2019}
    [m] = windows.monitors([row])
    assert (m.maker, m.model, m.product_code, m.serial, m.year) == ("DEL", "DELL U2415", 0xA0B9, "7MT019AI34EU", 2019)


def _output(payload: dict, bom: bool = True) -> CommandOutput:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return CommandOutput(("powershell.exe",), 0, (b"\xef\xbb\xbf" if bom else b"") + body, b"")


def test_whole_output_assembled_from_recordings():
    """The script's JSON built from the recordings above (several machines: a composite), with
    the BOM Windows PowerShell 5.1 writes; MSFT_PhysicalDisk failing as on Windows 7."""
    classes = {
        "ComputerSystemProduct": wmic("ionepub-dell-optiplex-3040-csproduct.txt", "ComputerSystemProduct"),
        "Processor": wmic("glpi-7-Win32_Processor.wmi", "Processor"),
        "PhysicalMemory": wmic("glpi-7-Win32_PhysicalMemory.wmi", "PhysicalMemory"),
        "DiskDrive": wmic("glpi-win7-sp1-x64-Win32_DiskDrive.wmi", "DiskDrive"),
        "NetworkAdapterConfiguration": wmic("glpi-10-net-Win32_NetworkAdapterConfiguration.wmi",
                                            "NetworkAdapterConfiguration", where=("IPEnabled", "TRUE")),
        "MonitorID": [], "OperatingSystem": spaced("zhcn-fz-laptop-Win32_OperatingSystem.txt", "OperatingSystem"),
        "Licensing": [{"Name": "Windows(R), Professional edition", "Description": "Windows(R) Operating System, "
                       "OEM_DM channel", "LicenseStatus": 1}],
        "Software": uninstall_reg("glpi-10_russian-Uninstall.reg"),
    }
    errors = {"PhysicalDisk": "Invalid namespace "}
    snap = windows.parse(_output({"Firmware": "Legacy", "Classes": classes, "Errors": errors}), AT)
    assert snap.source == "windows" and snap.identity.serial == "79K1JD2" and snap.identity.firmware == "bios"
    assert snap.os.name == "Microsoft Windows 10 专业版" and snap.os.licence == "licensed"
    assert len(snap.memory) == 2 and len(snap.disks) == 2 and len(snap.adapters) == 2 and len(snap.software) == 2
    assert [g.part for g in snap.gaps] == ["disk health"]
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
