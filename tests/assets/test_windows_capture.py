"""Windows capture parsers on published outputs of real machines (fixtures/windows, sources
in fixtures/SOURCES.md): zh-CN Windows 10 (operating system, a Lenovo T14's memory, a WeChat
Uninstall entry), a French Hyper-V guest, English desktops and servers; and the whole script
output. Every expected value below was read off the recording by hand."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from agent.assets.capture import windows
from agent.assets.model import to_json
from collectors.base import CommandOutput, ParseError
from tests.assets.windows_recordings import labelled_uninstall, node_object, spaced, wmic, wmic_table

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


def test_zh_cn_memory_module():
    # `wmic memorychip list full` on a zh-CN Lenovo T14 (Description=物理内存), annotated by its publisher
    [m] = windows.memory(wmic("zhcn-lenovo-t14-memorychip-list-full.txt", "PhysicalMemory", comment="#"))
    assert (m.slot, m.bank, m.size_bytes, m.speed_mts) == ("Controller0-ChannelA", "BANK 0", 16 * 2**30, 3200)
    assert (m.maker, m.part_number) == ("SK Hynix", "HMAB2GS6AMR6N-XN")
    assert m.serial is None  # SerialNumber=00000000 is no serial
    assert m.type is None  # `list full` has no SMBIOSMemoryType: unknown, not guessed from the speed


def test_memory_of_a_french_hyper_v_guest():
    # Hyper-V generation 2 VM, French Windows: "None" strings, ConfiguredClockSpeed 0 and an empty
    # Speed, SMBIOSMemoryType 2 (SMBIOS "Unknown")
    modules = windows.memory(wmic("fi933-hyperv-gen2-fr-Win32_PhysicalMemory.txt", "PhysicalMemory"))
    assert [(m.slot, m.size_bytes, m.maker) for m in modules] == [
        ("M0001", 4160749568, "Microsoft Corporation"), ("M0002", 134217728, "Microsoft Corporation")]
    assert all(m.serial is m.part_number is m.bank is m.speed_mts is m.type is None for m in modules)


def test_memory_from_a_wmic_table():
    # four modules of an A-DATA kit whose Manufacturer is the code "0420", which the JEP106 table
    # does not hold for a module maker: kept as Windows gives it
    modules = windows.memory(wmic_table("lhm864-adata-memorychip-table.txt", "PhysicalMemory"))
    assert [(m.slot, m.serial) for m in modules] == [
        ("ChannelA-DIMM0", "46100000"), ("ChannelA-DIMM1", "14100000"), ("ChannelB-DIMM0", "16960000"),
        ("ChannelB-DIMM1", "11970000")]
    assert {(m.size_bytes, m.speed_mts, m.maker) for m in modules} == {(8 * 2**30, 2133, "0420")}


def test_processor_of_a_server():
    # Windows Server 2008 R2, the first of two Xeon E5506 sockets
    [cpu] = windows.cpus(wmic("fi897-xeon-e5506-Win32_Processor.txt", "Processor"))
    assert (cpu.model, cpu.socket, cpu.cores, cpu.threads, cpu.max_mhz) == (
        "Intel(R) Xeon(R) CPU E5506 @ 2.13GHz", "Proc 1", 4, 4, 2000)


def test_disks_of_real_machines():
    # an EC2 Windows Server 2019 disk (EBS volume id as serial; the publisher left out DeviceID and
    # Index) and a Hyper-V disk whose serial is the hex of twenty spaces, as older Windows gives it
    [ec2] = windows.disks(wmic("ec2-server2019-diskdrive-value.txt", "DiskDrive", comment="//"), [])
    assert (ec2.name, ec2.model, ec2.serial, ec2.size_bytes, ec2.bus) == (
        "disk 0", "AWS PVDISK SCSI Disk Device", "vol08cc6ad9751191b1e", 32210196480, "SCSI")
    assert (ec2.type, ec2.health) == ("unknown", "passed")  # no MSFT_PhysicalDisk: Status OK is all there is
    # a whole `diskdrive get /value` record of a VirtualBox guest's Windows 10
    [vbox] = windows.disks(wmic("si421-virtualbox-diskdrive-value.txt", "DiskDrive"), [])
    assert (vbox.name, vbox.model, vbox.serial, vbox.size_bytes, vbox.bus, vbox.firmware, vbox.health) == (
        "\\\\.\\PHYSICALDRIVE0", "VBOX HARDDISK", "VB48714f98-fcbf9ac2", 53686402560, "IDE", "1.0", "passed")
    [hv] = windows.disks(wmic("hyperv-virtual-hd-diskdrive-list.txt", "DiskDrive", comment="//"), [])
    assert (hv.name, hv.model, hv.serial, hv.size_bytes, hv.bus) == (
        "\\\\.\\PHYSICALDRIVE1", "Virtual HD ATA Device", None, 85896599040, "IDE")


def test_zh_cn_uninstall_entry():
    # WeChat's Uninstall key on a Chinese desktop (no InstallDate written by its installer)
    [program] = windows.software(node_object("zhcn-wechat-uninstall-entry.txt", "Software"))
    assert (program.name, program.version, program.publisher, program.installed_on) == (
        "微信", "3.9.10.19", "腾讯科技(深圳)有限公司", None)


def test_uninstall_entries_with_install_dates():
    # an English developer machine's Uninstall keys as forderud/MsiQuery's DetectInstalledApps.ps1 prints
    # them (Name = DisplayName, Version = DisplayVersion); InstallDate is yyyymmdd or not written
    programs = windows.software(labelled_uninstall("msiquery8-uninstall-write-host.txt"))
    assert [(p.name, p.version, p.installed_on and p.installed_on.isoformat()) for p in programs] == [
        ("Visual Studio Professional 2022", "17.14.21 (November 2025)", "2025-10-20"),
        ("Microsoft Edge", "142.0.3595.94", "2025-11-22"),
        ("Windows SDK AddOn", "10.1.0.0", "2025-10-20"),
        ("Microsoft Visual C++ 2015-2022 Redistributable (x86) - 14.44.35211", "14.44.35211.0", None),
        ("vs_CoreEditorFonts", "17.7.40001", "2025-10-20"),
        ("Windows Driver Kit - Windows 10.0.26100.6584", "10.1.26100.6584", None),
        ("Microsoft Intune Management Extension", "1.96.154.0", "2025-11-19")]
    assert {p.publisher for p in programs} == {"Microsoft Corporation"}


def test_memory_module_maker_codes():
    # CONSTRUCTED row: no published Win32_PhysicalMemory output found carries both a JEDEC-coded
    # maker and SMBIOSMemoryType (real codes are checked in test_linux_capture.test_jedec_maker_codes)
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


def test_adapters_pair_each_address_with_its_subnet():
    # CONSTRUCTED rows in the documented form (Win32_NetworkAdapterConfiguration: IPAddress and
    # IPSubnet are parallel string arrays, an IPv6 subnet is a prefix length), the second with
    # single values as bare strings: no published output of the IP-enabled query with its values
    # was found (fixtures/SOURCES.md)
    rows = [{"Index": 1, "Description": "Intel(R) Ethernet Connection (7) I219-LM", "MACAddress": "8C:EC:4B:12:34:56",
             "IPAddress": ["192.168.10.23", "fe80::1c2b:3a4d:5e6f:7a8b"], "IPSubnet": ["255.255.255.0", "64"]},
            {"Index": 7, "Description": "以太网适配器", "MACAddress": None, "IPAddress": "10.0.0.5", "IPSubnet": "255.0.0.0"}]
    first, second = windows.adapters(rows)
    assert (first.mac, first.ips) == ("8c:ec:4b:12:34:56", ("192.168.10.23/24", "fe80::1c2b:3a4d:5e6f:7a8b/64"))
    assert (second.name, second.mac, second.ips) == ("以太网适配器", None, ("10.0.0.5/8",))


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
    """The script's JSON built from the recordings above (several machines: a composite), with the
    BOM Windows PowerShell 5.1 writes; MSFT_PhysicalDisk failing as on Windows 7. No published
    output of the adapter query is kept (SOURCES.md), so that class answers empty here."""
    classes = {
        "ComputerSystemProduct": wmic("ionepub-dell-optiplex-3040-csproduct.txt", "ComputerSystemProduct"),
        "Processor": wmic("fi897-xeon-e5506-Win32_Processor.txt", "Processor"),
        "PhysicalMemory": wmic("zhcn-lenovo-t14-memorychip-list-full.txt", "PhysicalMemory", comment="#"),
        "DiskDrive": wmic("hyperv-virtual-hd-diskdrive-list.txt", "DiskDrive", comment="//"),
        "NetworkAdapterConfiguration": [],
        "MonitorID": [], "OperatingSystem": spaced("zhcn-fz-laptop-Win32_OperatingSystem.txt", "OperatingSystem"),
        "Licensing": [{"Name": "Windows(R), Professional edition", "Description": "Windows(R) Operating System, "
                       "OEM_DM channel", "LicenseStatus": 1}],
        "Software": node_object("zhcn-wechat-uninstall-entry.txt", "Software"),
    }
    errors = {"PhysicalDisk": "Invalid namespace "}
    snap = windows.parse(_output({"Firmware": "Legacy", "Classes": classes, "Errors": errors}), AT)
    assert snap.source == "windows" and snap.identity.serial == "79K1JD2" and snap.identity.firmware == "bios"
    assert snap.os.name == "Microsoft Windows 10 专业版" and snap.os.licence == "licensed"
    assert [c.model for c in snap.cpus] == ["Intel(R) Xeon(R) CPU E5506 @ 2.13GHz"]
    assert [(m.slot, m.maker) for m in snap.memory] == [("Controller0-ChannelA", "SK Hynix")]
    assert [d.name for d in snap.disks] == ["\\\\.\\PHYSICALDRIVE1"]
    assert [(p.name, p.publisher) for p in snap.software] == [("微信", "腾讯科技(深圳)有限公司")]
    assert snap.adapters == ()
    # with a disk listed, the failed MSFT_PhysicalDisk query is a note on disk health, not a gap of disks
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
