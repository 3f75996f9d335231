"""Linux capture: each parser on recorded real outputs (fixtures/SOURCES.md), the whole
parse on a recorded machine, and a real capture on this machine."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from agent.assets.capture import disks, dmi, edid, linux, linux_software
from agent.assets.capture.linux import LinuxSample, Ran
from agent.assets.model import AssetSnapshot, from_json, to_json
from collectors.base import CollectorIO, CommandOutput
from collectors.commands import run_command
from tests.assets import recording

F = Path(__file__).parent / "fixtures"
AT = datetime(2026, 12, 6, tzinfo=timezone.utc)


def _json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def _as_json(**parts: object) -> dict:
    return to_json(AssetSnapshot("computer", "linux", AT, **parts))  # type: ignore[arg-type]


@pytest.mark.parametrize("path", sorted((F / "dmidecode").glob("*.txt")), ids=lambda p: p.stem)
def test_dmidecode_of_real_machines(path: Path):
    records = dmi.parse_dmidecode(path.read_text(encoding="utf-8"))
    got = _as_json(identity=dmi.identity({}, records, None), memory=dmi.memory_modules(records))
    expected = _json(path.with_suffix(".expected.json"))
    assert {"identity": got["identity"], "memory": got["memory"]} == expected


def test_dmidecode_details_that_matter():
    laptop = dmi.memory_modules(dmi.parse_dmidecode((F / "dmidecode" / "glpi-memory-hynix-kingmax.txt").read_text()))
    assert [(m.slot, m.maker, m.speed_mts) for m in laptop] == [
        ("DIMM A", "SK Hynix", 2667),  # "80AD000080AD" decoded; the configured speed, not the rated 3200
        ("DIMM B", "Kingmax", 2667)]  # "832500008325": 3 continuation codes, 0x25 (JEP106 bank 4)
    vm = dmi.parse_dmidecode((F / "dmidecode" / "glpi-windows-hyperV-2019.txt").read_text())
    assert all(m.serial is None and m.part_number is None for m in dmi.memory_modules(vm))  # "None" is no serial
    assert dmi.identity({}, vm, None).bios_date.isoformat() == "2019-12-17"


@pytest.mark.parametrize("code, maker", [
    # each code as firmware gives it, checked by hand against memtest86+'s system/jedec_id.h
    # (github.com/memtest86plus/memtest86plus at 0f8981412c49: "{ 0x0325, "Kingmax" }" and so on)
    ("80CE", "Samsung"), ("00CE00B300CE", "Samsung"), ("80AD000080AD", "SK Hynix"), ("802C", "Micron"),
    ("0198", "Kingston"), ("02FE", "Elpida"), ("830B", "Nanya"), ("832500008325", "Kingmax"), ("0443", "Ramaxel"),
    ("04CB", "A-DATA"), ("04EF", "Team Group"), ("859B", "Crucial"), ("8A91", "CXMT"), ("0B92", "Kingbank"),
    ("0813", "Gloway"), ("08F1", "Asgard"),
    ("000B", "000B"),  # bank 1 0x0B is Intersil, not Nanya (Nanya is bank 4): no memory maker, kept as given
    ("0420", "0420"),  # a code the table does not hold stays as given (LibreHardwareMonitor #864's modules)
    ("Kingston", "Kingston"), ("Not Specified", None),
])
def test_jedec_maker_codes(code, maker):
    assert dmi.memory_maker(code) == maker


def test_sysfs_fills_what_dmidecode_cannot_and_filler_is_dropped():
    sysfs = {"sys_vendor": "ASUS", "product_name": "System Product Name", "board_serial": "To be filled by O.E.M.",
             "bios_date": "03/15/2022", "chassis_type": "3", "product_uuid": "03000200-0400-0500-0006-000700080009"}
    ident = dmi.identity(sysfs, (), uefi=True)
    assert (ident.maker, ident.model, ident.board_serial) == ("ASUS", None, None)
    assert ident.bios_date.isoformat() == "2022-03-15" and ident.chassis == "Desktop" and ident.firmware == "uefi"


@pytest.mark.parametrize("path", sorted(p for p in (F / "smartctl").glob("*.json") if ".expected" not in p.name),
                         ids=lambda p: p.stem)
def test_smartctl_json_of_real_disks(path: Path):
    smart = _json(path)
    name = smart["device"]["name"].rsplit("/", 1)[-1]
    row = {"name": name, "type": "disk", "size": (smart.get("user_capacity") or {}).get("bytes")}
    got = _as_json(disks=(disks.disk(row, smart, None),))["disks"][0]
    assert got == _json(path.with_name(path.stem + ".expected.json"))


def test_smart_verdicts():
    failed = _json(F / "smartctl" / "scrutiny-smart-fail2.json")
    assert disks.disk({"name": "sdc", "type": "disk", "size": 1}, failed, None).health == "failed"
    nvme = disks.disk({"name": "nvme0n1", "type": "disk", "size": 1}, _json(F / "smartctl" / "scrutiny-smart-nvme.json"), None)
    assert (nvme.health, nvme.type, nvme.serial) == ("passed", "nvme", "BTNH93710FS91P0B")
    unreadable = disks.disk({"name": "sda", "type": "disk", "size": 5, "rota": "1", "model": "ST1000", "serial": "Z1"},
                            None, "smartctl: permission denied")
    assert (unreadable.health, unreadable.health_detail, unreadable.type) == (
        "not readable", "smartctl: permission denied", "hdd")


def test_lsblk_keeps_whole_disks_only():
    text = json.dumps({"blockdevices": [
        {"name": "zram0", "type": "disk", "size": 0}, {"name": "loop0", "type": "loop", "size": 100},
        {"name": "sr0", "type": "rom", "size": 100}, {"name": "sda", "type": "disk", "size": "500107862016", "rota": "0"},
        {"name": "nvme0n1", "type": "disk", "size": 512110190592, "rota": False, "tran": "nvme"}]})
    assert [d["name"] for d in disks.parse_lsblk(text)] == ["sda", "nvme0n1"]
    with pytest.raises(ValueError, match="blockdevices"):
        disks.parse_lsblk('{"devices": []}')


def test_edid_of_real_monitors():
    """EDIDs kept as the hex text edid-decode printed (linux-hardware.org probes): bytes at run time."""
    expected = _json(F / "edid" / "expected.json")
    got = {p.name: _as_json(monitors=(edid.monitor(edid.parse(bytes.fromhex(p.read_text()))),))["monitors"][0]
           for p in sorted((F / "edid").glob("*.hex"))}
    assert got == expected
    assert got["linuxhw-dell-E2219HN.hex"]["serial"] == "0TYT87AD01XB"  # the serial descriptor, not the number


@pytest.mark.parametrize("data, message", [
    (b"", "EDID of 0 bytes"),
    (b"\x00" * 128, "header"),
    (bytes.fromhex("00ffffffffffff00") + b"\x00" * 120, "manufacturer id 0x0000"),
])
def test_bad_edid_is_a_clear_error(data: bytes, message: str):
    with pytest.raises(ValueError, match=message):
        edid.parse(data)


def test_rpm_list():
    # CONSTRUCTED in the query format (no recorded rpm list is kept: the one used before came from
    # a source that may not be committed); "(none)" is what rpm prints for an empty VENDOR
    text = ("bash\tx86_64\t5.1.8-9.el9\t1700000000\t7738634\tRocky Enterprise Software Foundation\t"
            "The GNU Bourne Again shell\tUnspecified\n"
            "gpg-pubkey\t(none)\t8483c65d-5ccc5b19\t1700000001\t0\t(none)\tgpg(Rocky)\tPublic Keys\n").encode()
    got = linux_software.parse_rpm(CommandOutput(linux_software.RPM, 0, text, b""))
    assert [(s.name, s.version, s.publisher) for s in got][:1] == [
        ("bash", "5.1.8-9.el9", "Rocky Enterprise Software Foundation")]
    assert got[0].installed_on is not None and got[0].installed_on.isoformat() == "2023-11-14"


def test_dpkg_line_that_is_not_the_format_is_named():
    out = CommandOutput(linux_software.DPKG, 0, b"bash\t5.2\n", b"")
    with pytest.raises(ValueError, match="dpkg-query line 1"):
        linux_software.parse_dpkg(out, {})


def test_recorded_container_capture():
    sample = recording.load(F / "linux" / "container-debian12.json")
    got = to_json(linux.parse(sample, AT))
    assert got == _json(F / "linux" / "container-debian12.expected.json")
    gaps = {g["part"]: g["reason"] for g in got["gaps"]}
    assert "dmidecode failed" in gaps["memory modules"] and "monitors" in gaps and "system identity" in gaps
    assert all(v is None for k, v in got["identity"].items() if k != "firmware")  # nothing guessed
    assert got["disks"][0]["health"] == "not readable" and "Unable to detect device type" in got["disks"][0]["health_detail"]


def test_missing_programs_become_gaps_not_errors():
    missing = Ran(None, "dmidecode not installed")
    sample = LinuxSample(dmidecode=missing, lsblk=Ran(None, "lsblk not installed"),
                         packages=Ran(None, "rpm not installed"), package_manager="rpm", drm=())
    snap = linux.parse(sample, AT)
    gaps = {g.part: g.reason for g in snap.gaps}
    assert gaps["memory modules"] == "dmidecode not installed"
    assert gaps["disks"] == "lsblk not installed"
    assert gaps["software"].startswith("neither dpkg-query nor rpm")
    assert gaps["cpus"] == "/proc/cpuinfo not readable"
    assert snap.memory == () and snap.disks == ()


def test_broken_outputs_become_gaps():
    bad = CommandOutput(("lsblk",), 0, b"{not json", b"")
    snap = linux.parse(LinuxSample(lsblk=Ran(bad), drm=(("card0-HDMI-A-1", b"\x00" * 64), ("card0-DP-1", b""))), AT)
    gaps = {g.part: g.reason for g in snap.gaps}
    assert gaps["disks"].startswith("lsblk output not readable")
    assert gaps["monitor card0-HDMI-A-1"] == "EDID of 64 bytes: a base block is 128"
    assert "monitors" not in gaps  # an empty connector is not a gap


def test_cpuinfo_sockets_and_addresses():
    two_sockets = "\n\n".join(f"processor\t: {i}\nmodel name\t: Intel(R) Xeon(R) Gold 6130\nphysical id\t: {i // 4}\n"
                              f"core id\t\t: {i % 2}\ncpu cores\t: 2" for i in range(8))
    cpus = linux.parse_cpuinfo(two_sockets)
    assert [(c.socket, c.cores, c.threads) for c in cpus] == [("socket 0", 2, 4), ("socket 1", 2, 4)]
    net = ({"name": "lo", "type": "772", "address": "00:00:00:00:00:00"},
           {"name": "enp0s31f6", "type": "1", "address": "8C:16:45:AA:BB:CC", "device": "1", "speed": "1000"})
    got = linux.adapters(net, {"enp0s31f6": ("192.0.2.7/255.255.255.0", "fe80::1%enp0s31f6/ffff:ffff:ffff:ffff::",
                                             "bogus/1")})
    assert [(a.name, a.mac, a.ips, a.kind, a.speed_mbps) for a in got] == [
        ("enp0s31f6", "8c:16:45:aa:bb:cc", ("192.0.2.7/24", "fe80::1/64"), "ethernet", 1000)]


def test_real_capture_on_this_machine():
    """The real thing: whatever this machine lacks must show as a gap, and the snapshot must
    survive the trip through JSON (what the agent pushes)."""
    io = CollectorIO(run=run_command)
    snap = linux.parse(linux.fetch(io), datetime.now(timezone.utc))
    assert snap.cpus and snap.os is not None and snap.os.name
    assert snap.software, "dpkg or rpm lists at least one package here"
    has_dmi = Path("/sys/class/dmi/id").is_dir()
    if not has_dmi:
        assert snap.identity.maker is None and any(g.part == "system identity" for g in snap.gaps)
    if not Path("/sys/class/drm").is_dir():
        assert any(g.part == "monitors" for g in snap.gaps)
    for d in snap.disks:
        assert d.health != "not readable" or d.health_detail
    assert from_json(json.loads(json.dumps(to_json(snap)))).content_hash() == snap.content_hash()
