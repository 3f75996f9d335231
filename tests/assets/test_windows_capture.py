"""Windows capture parsers on published outputs of real machines (fixtures/windows, sources
in fixtures/SOURCES.md): zh-CN Windows 10 (operating system, a Lenovo T14's memory, a Dell
desktop's BIOS, memory, processor and disk, a WeChat Uninstall entry, four IP-enabled adapters), a French Hyper-V guest, a Spanish laptop's disks,
English desktops and servers; and the whole script output. Every expected value below was read
off the recording by hand."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from agent.assets.capture import windows
from agent.assets.model import to_json
from collectors.base import CommandOutput, ParseError
from tests.assets.windows_recordings import (format_list, format_table, labelled_uninstall, node_object, notmatch0_monitors,
                                             spaced, wmic, wmic_table)

AT = datetime(2026, 12, 6, tzinfo=timezone.utc)


def test_zh_cn_operating_system():
    os_ = windows.operating_system(spaced("zhcn-fz-laptop-Win32_OperatingSystem.txt", "OperatingSystem")[0], [], None)
    assert os_.name == "Microsoft Windows 10 专业版"  # the localized caption, as Windows shows it
    assert os_.edition == "Professional"  # from OperatingSystemSKU 48, whatever the language
    assert (os_.version, os_.build, os_.architecture) == ("10.0.16299", "16299", "64-bit")  # "64 位"


def test_licence_of_real_machines():
    # a Lenovo's Windows 10 Pro with an OEM:DM key, LicenseStatus 1
    licensed = format_list("kolide505-softwarelicensingproduct-list.txt", "Licensing")
    assert windows.operating_system({"Caption": "x"}, licensed, None).licence == "licensed"
    # a Windows 11 24H2 Pro whose key is installed but not activated, LicenseStatus 0: read as
    # "unlicensed" (it was read as unknown while 0 counted as no status)
    unlicensed = format_list("ansible834-win11-unlicensed-softwarelicensingproduct.txt", "Licensing")
    assert [r["LicenseStatus"] for r in unlicensed] == [0]
    assert windows.operating_system({"Caption": "x"}, unlicensed, None).licence == "unlicensed"


# CONSTRUCTED rows: no published output shows a grace or notification status, or add-ons beside the OS
@pytest.mark.parametrize("rows, licence", [
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


R09872 = "zhcn-dell-r09872-get-wmiobject.txt"  # Get-WMIObject of five classes on one zh-CN Dell desktop


def test_zh_cn_dell_desktop():
    # a Kingston HyperX module whose maker Windows gives as the JEDEC code "01980000830B" (module
    # maker 0198 Kingston, then the DRAM maker 830B) with SMBIOSMemoryType 26
    [module] = windows.memory(format_list(R09872, "PhysicalMemory", section="Win32_PhysicalMemory"))
    assert (module.slot, module.size_bytes, module.speed_mts, module.type, module.maker, module.serial,
            module.part_number, module.bank) == ("DIMM1", 8 * 2**30, 2400, "DDR4", "Kingston", "EC2BAF67", "KHX2400C15/8G", None)
    [cpu] = windows.cpus(format_list(R09872, "Processor", section="Win32_Processor"))
    assert (cpu.model, cpu.socket, cpu.cores, cpu.threads, cpu.max_mhz) == (
        "Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", "U3E1", 6, 12, 3192)
    # Description 磁盘驱动器 and Manufacturer (标准磁盘驱动器) are localized; nothing read from them
    [disk] = windows.disks(format_list(R09872, "DiskDrive", section="Win32_DiskDrive"), [])
    assert (disk.name, disk.model, disk.serial, disk.size_bytes, disk.bus, disk.firmware, disk.health) == (
        "\\\\.\\PHYSICALDRIVE1", "SanDisk SSD PLUS 120GB", "1835B0806210", 120039736320, "SCSI", "UE4500RL", "passed")
    ident = windows.identity({"BIOS": format_list(R09872, "BIOS", section="Win32_BIOS")}, None)
    assert (ident.bios_vendor, ident.bios_version, ident.bios_date and ident.bios_date.isoformat(), ident.serial) == (
        "Dell Inc.", "1.3.3", "2018-05-19", "6QND8Q2")
    os_ = windows.operating_system(format_list(R09872, "OperatingSystem", section="Win32_OperatingSystem")[0], [], None)
    assert (os_.name, os_.edition, os_.build, os_.architecture) == ("Microsoft Windows 10 专业版", "Professional", "18363", "64-bit")


def test_disks_from_get_physicaldisk():
    """MSFT_PhysicalDisk as Get-PhysicalDisk prints it (names of HealthStatus and MediaType, sizes as
    display text). The two recordings without a Number (DeviceId) column are joined to a
    Win32_DiskDrive row of the same position: the Index values are the only ones added."""
    def joined(rows):
        for number, row in enumerate(rows):
            row["DeviceId"] = row["DeviceId"] or str(number)
        return windows.disks([{"Index": int(r["DeviceId"])} for r in rows], rows)

    # two SATA SSDs of an English desktop (table view); "3.64 TB" is no byte count
    samsung, crucial = joined(format_table("psdocs514-get-physicaldisk-table.txt", "PhysicalDisk"))
    assert [(d.model, d.serial, d.type, d.health, d.size_bytes) for d in (samsung, crucial)] == [
        ("Samsung SSD 860 EVO 4TB", "S3YNNB0KA01262B", "ssd", "passed", None),
        ("Crucial_CT1050MX300SSD1", "1652152B887B", "ssd", "passed", None)]
    # a Spanish Windows 10 laptop (list view): a Seagate HDD and an ADATA NVMe whose EUI-64 serial
    # ends with the "." Windows adds
    hdd, nvme = joined(format_list("es-ideapad-nvme-get-physicaldisk-list.txt", "PhysicalDisk"))
    assert (hdd.model, hdd.serial, hdd.firmware, hdd.size_bytes, hdd.health) == (
        "ST1000LM035-1RK172", "WQ99JSVT", "LFM1", 1000204886016, "passed")
    assert (nvme.model, nvme.serial, nvme.firmware, nvme.size_bytes, nvme.health) == (
        "ADATA SX6000LNP", "0000_0000_0100_0000_00E0_4C61_7FD3_1ABF", "V9002s85", 256060514304, "passed")
    # a Storage Spaces box: WD Red HDDs that Windows reports as "Unspecified" stay unknown (not
    # guessed), the uploader's "xxxx" serials are no serial
    spaces = joined(format_table("storage-spaces-get-physicaldisk-table.txt", "PhysicalDisk", rename={"Number": "DeviceId"}))
    assert [(d.name, d.model, d.serial, d.type) for d in spaces] == [
        ("disk 0", "SanDisk Ultra II 480GB", None, "ssd"), ("disk 4", "ATA WDC WD20EFRX-68A", "WD-xxxxxxxxxxxx", "unknown"),
        ("disk 3", "ATA WDC WD20EFRX-68A", "WD-xxxxxxxxxxxx", "unknown"), ("disk 1", "ATA KINGSTON SH103S3", None, "ssd"),
        ("disk 2", "ATA LITEONIT LCS-256", None, "ssd")]
    assert {d.health for d in spaces} == {"passed"}


# CONSTRUCTED: every published MSFT_PhysicalDisk found is Healthy; the failing and unknown
# verdicts, and Win32_DiskDrive's "Pred Fail", come from the class documentation
@pytest.mark.parametrize("health, status, expected", [
    ("Warning", None, "failed"), (2, None, "failed"), (5, None, "not readable"), (None, "Pred Fail", "failed"),
    (None, "Unknown", "not readable"),
])
def test_disk_health(health, status, expected):
    physical = [{"DeviceId": "0", "HealthStatus": health}] if health is not None else []
    [disk] = windows.disks([{"Index": 0, "DeviceID": "d0", "Status": status}], physical)
    assert disk.health == expected and (expected == "passed" or disk.health_detail)


@pytest.mark.parametrize("media, bus, kind", [(4, 11, "ssd"), (3, 11, "hdd"), (0, 17, "nvme"), (0, 11, "unknown")])
def test_disk_type_from_cim_numbers(media, bus, kind):
    # CONSTRUCTED: Get-CimInstance gives MediaType and BusType as numbers (the recordings above show
    # the names Get-PhysicalDisk prints); both forms give the same type
    [disk] = windows.disks([{"Index": 0}], [{"DeviceId": "0", "MediaType": media, "BusType": bus, "HealthStatus": 0}])
    assert (disk.type, disk.health) == (kind, "passed")


def test_zh_cn_adapters():
    # `wmic NICCONFIG where "IPEnabled='TRUE'" get ... /value | findstr "={"` on a zh-CN desktop: four
    # adapters, each address paired with its subnet (IPv4 mask, IPv6 prefix); no Description or MAC
    # was asked for, so each is named by its place
    found = windows.adapters(wmic("zhcn-jerion-nicconfig-value-findstr.txt", "NetworkAdapterConfiguration"))
    assert [(a.name, a.mac, a.ips) for a in found] == [
        ("adapter 0", None, ("10.18.88.135/21", "fe80::781f:e9d4:fbc5:7c35/64")),
        ("adapter 1", None, ("192.168.56.1/24", "fe80::370b:d605:c595:4e40/64")),
        ("adapter 2", None, ("192.168.1.1/24", "fe80::fd78:4f27:ba44:925d/64")),
        ("adapter 3", None, ("192.168.222.1/24", "fe80::eecc:211e:2115:f37b/64"))]


def test_adapters_from_powershell_list_views():
    # Win32_NetworkAdapterConfiguration of two Windows 10/11 machines in PowerShell's list view
    desktop = windows.adapters(format_list("et-desktop-nicconfig-format-list.txt", "NetworkAdapterConfiguration"))
    assert [a.name for a in desktop] == ["LogMeIn Hamachi Virtual Ethernet Adapter", "Intel(R) Ethernet Connection (2) I218-V",
                                         "VirtualBox Host-Only Ethernet Adapter", "Famatech Radmin VPN Ethernet Adapter"]
    # four addresses with four subnets: IPv4 mask, a /128 temporary IPv6 address among /64 ones
    assert desktop[1].ips == ("192.168.1.146/24", "2001:7d0:8885:1d80:12ac:e7df:67df:19e9/64",
                              "2001:7d0:8885:1d80:f124:77ed:7ae6:9910/128", "fe80::9cbd:3864:c30a:2ca2/64")
    assert desktop[3].ips == ("26.249.78.203/8", "fdfd::1af9:4ecb/64", "fe80::4220:77bb:f0b3:9b7f/64")
    [vbox] = windows.adapters(format_list("et-vbox-nicconfig-format-list.txt", "NetworkAdapterConfiguration"))
    assert (vbox.name, vbox.mac, vbox.ips) == ("adapter 0", "08:00:27:91:87:18", ("10.0.2.15/24", "fe80::2d6a:a237:f579:8fbb/64"))


def test_adapter_with_single_values_as_bare_strings():
    # CONSTRUCTED: no published output shows IPAddress/IPSubnet as one bare string rather than an
    # array, or a MAC written with dashes; the parser accepts both
    [a] = windows.adapters([{"Index": 7, "Description": "以太网适配器", "MACAddress": "8C-EC-4B-12-34-56",
                             "IPAddress": "10.0.0.5", "IPSubnet": "255.0.0.0"}])
    assert (a.name, a.mac, a.ips) == ("以太网适配器", "8c:ec:4b:12:34:56", ("10.0.0.5/8",))


def test_monitors_from_a_wmimonitorid_dump():
    # `Get-WmiObject WmiMonitorID -Namespace root\wmi` of a Samsung and a BenQ monitor: the list view
    # shows each uint16 array's first four codes; the makers end within them (SAM, BNQ + 0), the
    # product code, serial and name do not, so those are unknown rather than cut short
    found = windows.monitors(format_list("nt4adv-wmimonitorid-get-wmiobject.txt", "MonitorID"))
    assert [(m.maker, m.year, m.connector) for m in found] == [
        ("SAM", 2019, "DISPLAY\\SAM0D2C\\4&29c712e5&0&UID214595_0"), ("BNQ", 2019, "DISPLAY\\BNQ7F58\\5&a86ea05&1&UID4357_0")]
    assert all(m.model is m.serial is m.product_code is None for m in found)


def test_monitors_from_a_decoding_one_liner():
    # two Dell U2715H monitors as systeminformation's WmiMonitorID one-liner printed them: maker and
    # product code whole (the product code is the one in the PnP id DELD067), name and serial not
    found = windows.monitors(notmatch0_monitors("si276-dell-u2715h-wmimonitorid-notmatch0.txt"))
    assert [(m.maker, m.product_code, m.connector) for m in found] == [
        ("DEL", 0xD067, "DISPLAY\\DELD067\\5&382ced2f&0&UID4353_0"), ("DEL", 0xD067, "DISPLAY\\DELD067\\5&382ced2f&0&UID4354_0")]
    assert all(m.model is m.serial is m.year is None for m in found)


def test_monitor_from_wmimonitorid_arrays():
    # WmiMonitorID gives uint16 arrays padded with zeros (CONSTRUCTED: the one published dump shows
    # only the first four codes of each array); values of the Dell E2219HN whose real EDID is in fixtures/edid (maker DEL, product
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
    """The script's JSON built from the recordings above (the zh-CN Dell's five classes, other
    machines' adapters, monitors, licence and software: a composite), with the
    BOM Windows PowerShell 5.1 writes; MSFT_PhysicalDisk failing as on Windows 7."""
    classes = {
        "ComputerSystemProduct": wmic("ionepub-dell-optiplex-3040-csproduct.txt", "ComputerSystemProduct"),
        "BIOS": format_list(R09872, "BIOS", section="Win32_BIOS"),
        "Processor": format_list(R09872, "Processor", section="Win32_Processor"),
        "PhysicalMemory": format_list(R09872, "PhysicalMemory", section="Win32_PhysicalMemory"),
        "DiskDrive": format_list(R09872, "DiskDrive", section="Win32_DiskDrive"),
        "NetworkAdapterConfiguration": wmic("zhcn-jerion-nicconfig-value-findstr.txt", "NetworkAdapterConfiguration"),
        "MonitorID": format_list("nt4adv-wmimonitorid-get-wmiobject.txt", "MonitorID"),
        "OperatingSystem": format_list(R09872, "OperatingSystem", section="Win32_OperatingSystem"),
        "Licensing": format_list("kolide505-softwarelicensingproduct-list.txt", "Licensing"),
        "Software": node_object("zhcn-wechat-uninstall-entry.txt", "Software"),
    }
    errors = {"PhysicalDisk": "Invalid namespace "}
    snap = windows.parse(_output({"Firmware": "Legacy", "Classes": classes, "Errors": errors}), AT)
    assert snap.source == "windows" and snap.identity.firmware == "bios"
    assert (snap.identity.maker, snap.identity.serial) == ("Dell Inc.", "6QND8Q2")  # the BIOS serial first
    assert (snap.os.name, snap.os.build, snap.os.licence) == ("Microsoft Windows 10 专业版", "18363", "licensed")
    assert [c.model for c in snap.cpus] == ["Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz"]
    assert [(m.slot, m.maker) for m in snap.memory] == [("DIMM1", "Kingston")]
    assert [(d.name, d.serial) for d in snap.disks] == [("\\\\.\\PHYSICALDRIVE1", "1835B0806210")]
    assert [(p.name, p.publisher) for p in snap.software] == [("微信", "腾讯科技(深圳)有限公司")]
    assert [a.ips[0] for a in snap.adapters] == ["10.18.88.135/21", "192.168.56.1/24", "192.168.1.1/24", "192.168.222.1/24"]
    assert [m.maker for m in snap.monitors] == ["SAM", "BNQ"]
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
