"""The demo site's asset archive (agent/reports/demo.py): captures with a story for October.

Every computer is first captured on 1 September 2026; in October pc-002 gets a memory
module swapped, pc-006 a new disk, srv-file a BIOS update, pc-001 and pc-005 new programs
(pc-005 a second antivirus product: the "two antivirus products" finding of the demo),
pc-003 loses one; everything is captured again, unchanged, on 31 October. Written through
``archive.record`` like real captures.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import sqlalchemy as sa

from agent.assets import archive
from agent.assets.model import (AssetSnapshot, Component, Cpu, Disk, Identity, MemoryModule, Monitor, NetworkAdapter,
                                NetworkInfo, OperatingSystem, Software)

GiB = 2**30
FIRST = datetime(2026, 9, 1, 1, 0, tzinfo=timezone.utc)

_PROGRAMS = (
    Software("Microsoft Office 专业增强版 2021 - zh-cn", "16.0.14332.20763", "Microsoft Corporation", date(2024, 3, 2), "HKLM64"),
    Software("Google Chrome", "129.0.6668.90", "Google LLC", date(2024, 3, 2), "HKLM64"),
    Software("WPS Office", "12.1.0.17827", "Kingsoft Corp.", date(2024, 3, 5), "HKLM32"),
    Software("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov", date(2024, 3, 2), "HKLM64"),
    Software("WinRAR 6.24 (64-bit)", "6.24.0", "win.rar GmbH", date(2024, 4, 9), "HKLM64"),
    Software("企业微信", "4.1.28.6010", "腾讯科技(深圳)有限公司", date(2024, 5, 20), "HKLM32"),
)


def _pc(i: int, at: datetime) -> AssetSnapshot:
    return AssetSnapshot(
        kind="computer", source="windows", captured_at=at,
        identity=Identity(maker="LENOVO", model="ThinkCentre M720q", serial=f"PC0{i}ACME", sku="LENOVO_MT_10T7",
                          bios_vendor="LENOVO", bios_version="M1UKT4BA", bios_date=date(2023, 2, 1), firmware="uefi"),
        cpus=(Cpu("Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz", "U3E1", 6, 6, 2100),),
        memory=(MemoryModule("ChannelA-DIMM0", 8 * GiB, 2666, "DDR4", "Samsung", f"3A1B2C{i:02d}", "M471A1K43CB1-CTD"),
                MemoryModule("ChannelB-DIMM0", 8 * GiB, 2666, "DDR4", "Samsung", f"3A1B3C{i:02d}", "M471A1K43CB1-CTD")),
        disks=(Disk(r"\\.\PHYSICALDRIVE0", "SAMSUNG MZVLB256HAHQ-000L7", f"S4DXNF0M1234{i:02d}", 256060514304, "nvme",
                    "NVMe", health="passed"),),
        adapters=(NetworkAdapter("Intel(R) Ethernet Connection (7) I219-V", f"8c:16:45:aa:bb:{i:02x}",
                                 (f"10.1.0.{20 + i}/24",), "ethernet", 1000),),
        monitors=(Monitor("DEL", "DELL P2419H", 0xA0F4, f"CFV9N9{i:02d}", 2019, "DISPLAY1"),),
        os=OperatingSystem("Microsoft Windows 11 专业版", "Professional", "10.0.22631", "22631.4317", "64 位", "licensed"),
        software=_PROGRAMS,
    )


def _server(at: datetime) -> AssetSnapshot:
    return AssetSnapshot(
        kind="computer", source="linux", captured_at=at,
        identity=Identity(maker="Dell Inc.", model="PowerEdge T150", serial="7QX2MN3", bios_vendor="Dell Inc.",
                          bios_version="1.9.2", bios_date=date(2023, 8, 7), firmware="uefi"),
        cpus=(Cpu("Intel(R) Xeon(R) E-2314 CPU @ 2.80GHz", "CPU1", 4, 4, 4500),),
        memory=tuple(MemoryModule(f"DIMM A{n}", 16 * GiB, 3200, "DDR4", "Micron Technology", f"2B3C4D{n:02d}",
                                  "18ASF2G72AZ-3G2B1") for n in (1, 2)),
        disks=tuple(Disk(f"sd{c}", "ST4000NM002A-2HZ101", f"WJG0{n}ABC", 4000787030016, "hdd", "sata", health="passed")
                    for n, c in enumerate("ab", start=1)),
        adapters=(NetworkAdapter("eno8303", "b0:7b:25:11:22:33", ("10.1.0.10/24",), "ethernet", 1000),),
        os=OperatingSystem("Debian GNU/Linux", None, "12", "6.1.0-26-amd64", "x86_64"),
        software=(Software("samba", "2:4.17.12+dfsg-0+deb12u1", "Debian Samba Maintainers", None, "dpkg"),
                  Software("openssh-server", "1:9.2p1-2+deb12u3", "Debian OpenSSH Maintainers", None, "dpkg")),
    )


def _switch(at: datetime) -> AssetSnapshot:
    return AssetSnapshot(
        kind="network", source="snmp", captured_at=at,
        identity=Identity(maker="Cisco", model="WS-C2960X-48FPD-L", serial="FOC2034X1AB"),
        components=(Component(1, "chassis", "1", "WS-C2960X-48FPD-L", "Cisco", "WS-C2960X-48FPD-L", "FOC2034X1AB", "V05",
                              None, "15.2(7)E8", None, None, False),
                    Component(1011, "module", "GigabitEthernet1/0/49", "1000BaseSX SFP", "CISCO-AVAGO", "GLC-SX-MMD",
                              "AGM1945L0AB", "V01", None, None, 1, 49, True)),
        network=NetworkInfo("Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8, "
                            "RELEASE SOFTWARE (fc3)", "1.3.6.1.4.1.9.1.1208", "sw-core", "15.2(7)E8"),
    )


def seed_demo_assets(engine: sa.Engine, site: str) -> int:
    """Record the demo captures; returns how many versions were stored."""
    def at(day: int) -> datetime:
        return datetime(2026, 10, day, 1, 0, tzinfo=timezone.utc)

    timeline: list[tuple[str, AssetSnapshot]] = [(f"pc-{i:03d}", _pc(i, FIRST)) for i in range(1, 9)]
    timeline += [("srv-file", _server(FIRST)), ("sw-core", _switch(FIRST))]
    pc1, pc2, pc3, pc5, pc6 = (_pc(i, FIRST) for i in (1, 2, 3, 5, 6))
    server = _server(FIRST)
    timeline += [
        ("srv-file", replace(server, captured_at=at(3), identity=replace(server.identity, bios_version="1.10.1",
                                                                         bios_date=date(2024, 6, 12)))),
        ("pc-005", replace(pc5, captured_at=at(5), software=(*pc5.software, Software(
            "火绒安全软件", "5.0.76.8", "北京火绒网络科技有限公司", date(2026, 10, 5), "HKLM32")))),
        ("pc-001", replace(pc1, captured_at=at(8), software=(
            *(replace(p, version="130.0.6723.70") if p.name == "Google Chrome" else p for p in pc1.software),
            Software("钉钉", "7.6.15", "Alibaba (China) Network Technology Co.,Ltd.", date(2026, 10, 8), "HKLM32")))),
        ("pc-003", replace(pc3, captured_at=at(12), software=tuple(p for p in pc3.software if "WinRAR" not in p.name))),
        ("pc-002", replace(pc2, captured_at=at(15), memory=(replace(pc2.memory[0], maker="SK Hynix", serial="5F0E9D11",
                                                                    part_number="HMA81GS6CJR8N-VK"), pc2.memory[1]))),
        ("pc-006", replace(pc6, captured_at=at(20), disks=(replace(pc6.disks[0], model="WDC PC SN530 SDBPNPZ-256G-1014",
                                                                   serial="21046Z800123"),))),
    ]
    latest = dict(timeline)  # each asset's last content, captured again (unchanged) on 31 October
    timeline += [(asset_id, replace(snapshot, captured_at=at(31))) for asset_id, snapshot in latest.items()]
    return sum(archive.record(engine, site, asset_id, snapshot).stored for asset_id, snapshot in timeline)
