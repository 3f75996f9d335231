"""The archive store: deduplication by content hash, change history, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from agent.assets import archive
from agent.assets.diff import counts_as_hardware, diff
from agent.assets.model import (AssetSnapshot, Component, Cpu, Disk, Gap, Identity, MemoryModule, Monitor, NetworkAdapter,
                                OperatingSystem, PageCounter, PrinterInfo, Software, canonical_json)
from agent.assets.schema import asset_snapshots
from agent.context import store_components
from agent.store import Store

T0 = datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
GiB = 2**30


def pc(at: datetime = T0) -> AssetSnapshot:
    return AssetSnapshot(
        kind="computer", source="windows", captured_at=at,
        identity=Identity(maker="LENOVO", model="ThinkCentre M720q", serial="PC1ABCDE", bios_vendor="LENOVO",
                          bios_version="M1UKT4BA", bios_date=date(2023, 2, 1)),
        cpus=(Cpu("Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz", "U3E1", 6, 6, 2100),),
        memory=(MemoryModule("ChannelA-DIMM0", 8 * GiB, 2666, "DDR4", "Samsung", "3A1B2C3D", "M471A1K43CB1-CTD"),
                MemoryModule("ChannelB-DIMM0", 8 * GiB, 2666, "DDR4", "Samsung", "3A1B2C3E", "M471A1K43CB1-CTD")),
        disks=(Disk(r"\\.\PHYSICALDRIVE0", "SAMSUNG MZVLB256HAHQ-000L7", "S4DXNF0M123456", 256060514304, "nvme",
                    "NVMe", health="passed"),),
        adapters=(NetworkAdapter("Intel(R) Ethernet Connection (7) I219-V", "8c:16:45:aa:bb:cc", ("192.0.2.21/24",),
                                 "ethernet"),),
        monitors=(Monitor("DEL", "DELL P2419H", 0xA0F4, "CFV9N93", 2019, "DISPLAY1"),),
        os=OperatingSystem("Microsoft Windows 11 专业版", "Professional", "10.0.22631", "22631", "64 位", "licensed"),
        software=(Software("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov", date(2024, 3, 1), "HKLM64"),
                  Software("WPS Office", "12.1.0.16120", "Kingsoft Corp.", date(2024, 5, 1), "HKLM32")),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = Store.open(url, "hq", store_components())
    if request.param == "postgresql":  # one server per session: start from empty tables
        from agent.assets import schema
        with store.engine.begin() as conn:
            for table in reversed(schema.metadata.sorted_tables):
                conn.execute(table.delete())
    yield store.engine
    store.close()


def test_same_content_is_stored_once_and_only_last_seen_moves(engine):
    first = archive.record(engine, "hq", "pc-1", pc())
    assert first.stored and first.first and first.changes == ()
    for day in range(1, 30):  # a month of daily captures that found nothing new
        again = archive.record(engine, "hq", "pc-1", pc(T0 + day * DAY))
        assert not again.stored and again.changes == ()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(asset_snapshots)).scalar() == 1
    (cur,) = archive.current(engine, "hq")
    assert (cur.asset_id, cur.first_seen, cur.changed_at, cur.last_seen) == ("pc-1", T0, T0, T0 + 29 * DAY)
    assert cur.snapshot == pc()
    assert archive.versions(engine, "hq", "pc-1") == [archive.Version(T0, pc().content_hash())]


def test_memory_swap_is_recorded_with_path_before_and_after(engine):
    archive.record(engine, "hq", "pc-1", pc())
    base = pc(T0 + DAY)
    swapped = replace(base, memory=(replace(base.memory[0], serial="5F0E9D11", maker="SK Hynix",
                                            part_number="HMA81GS6CJR8N-VK"), base.memory[1]))
    outcome = archive.record(engine, "hq", "pc-1", swapped)
    assert outcome.stored and not outcome.first
    assert [(c.path, c.before, c.after, c.category) for c in outcome.changes] == [
        ("memory[ChannelA-DIMM0].maker", "Samsung", "SK Hynix", "hardware"),
        ("memory[ChannelA-DIMM0].serial", "3A1B2C3D", "5F0E9D11", "hardware"),
        ("memory[ChannelA-DIMM0].part_number", "M471A1K43CB1-CTD", "HMA81GS6CJR8N-VK", "hardware"),
    ]  # in the model's field order
    assert archive.history(engine, "hq", "pc-1") == list(outcome.changes)
    assert archive.snapshot_at(engine, "hq", "pc-1", T0 + DAY / 2) == pc()
    assert archive.snapshot_at(engine, "hq", "pc-1", T0 - DAY) is None


def test_software_installed_removed_and_updated(engine):
    archive.record(engine, "hq", "pc-1", pc())
    base = pc(T0 + DAY)
    later = replace(base, software=(replace(base.software[0], version="24.08", name="7-Zip 23.01 (x64)"),
                                    Software("钉钉", "7.6.0", "Alibaba", date(2026, 11, 3), "HKLM32")))
    changes = archive.record(engine, "hq", "pc-1", later).changes
    got = {(c.path, c.action) for c in changes}
    assert got == {("software[7-Zip 23.01 (x64)|HKLM64].version", "changed"), ("software[WPS Office|HKLM32]", "removed"),
                   ("software[钉钉|HKLM32]", "added")}
    assert all(c.category == "software" and not counts_as_hardware(c) for c in changes)
    removed = next(c for c in changes if c.action == "removed")
    assert removed.before["publisher"] == "Kingsoft Corp." and removed.after is None


def test_back_to_an_earlier_content_is_a_new_version(engine):
    a, b = pc(), replace(pc(), disks=())
    archive.record(engine, "hq", "pc-1", a)
    archive.record(engine, "hq", "pc-1", replace(b, captured_at=T0 + DAY))
    back = archive.record(engine, "hq", "pc-1", replace(a, captured_at=T0 + 2 * DAY))
    assert back.stored and [c.action for c in back.changes] == ["added"]
    assert [v.at for v in archive.versions(engine, "hq", "pc-1")] == [T0, T0 + DAY, T0 + 2 * DAY]
    assert len(archive.history(engine, "hq", "pc-1")) == 2
    with engine.connect() as conn:  # bodies: the first (a keyframe) and the current one
        assert [r.body is not None for r in conn.execute(sa.select(asset_snapshots).order_by(asset_snapshots.c.id))] \
            == [True, False, True]
    assert archive.snapshot_at(engine, "hq", "pc-1", T0 + DAY + DAY / 2) == replace(b, captured_at=T0 + DAY)


def test_every_past_version_is_rebuilt_exactly(engine):
    """Sixty versions (two keyframe periods): software updated, installed, removed, a disk
    swapped, the OS upgraded, an address changed; each past day reads back as captured."""
    snapshots = [pc()]
    for day in range(1, 61):
        s = snapshots[-1]
        s = replace(s, captured_at=T0 + day * DAY, software=(
            replace(s.software[0], version=f"23.{day}"), *s.software[1:],
            *((Software(f"程序 {day}", "1.0", "Vendor", None, "HKCU"),) if day % 3 == 0 else ())))
        if day % 7 == 0:
            s = replace(s, software=s.software[:-1], disks=(replace(s.disks[0], serial=f"S4DX{day:010d}"),))
        if day % 11 == 0:
            s = replace(s, os=replace(s.os, build=f"22631.{day}") if s.os else OperatingSystem("Debian GNU/Linux", None, "12"),
                        adapters=(
                replace(s.adapters[0], ips=(f"192.0.2.{day}/24", "fe80::1/64")),))
        if day == 30:
            s = replace(s, os=None, monitors=())
        s = replace(s, gaps=(Gap("monitors", f"no EDID on day {day}"),) if day % 5 == 0 else ())
        snapshots.append(s)
    for s in snapshots:
        assert archive.record(engine, "hq", "pc-1", s).stored
    with engine.connect() as conn:
        kept = conn.execute(sa.select(sa.func.count()).select_from(asset_snapshots)
                            .where(asset_snapshots.c.body.is_not(None))).scalar()
    assert kept == 3  # versions 0 and 30 (keyframes) and 60 (a keyframe and the current one)
    for s in snapshots:
        rebuilt = archive.snapshot_at(engine, "hq", "pc-1", s.captured_at + timedelta(hours=1))
        assert canonical_json(rebuilt) == canonical_json(s)  # lists in canonical order, captured_at, gaps


def test_a_version_the_changes_cannot_rebuild_keeps_its_body(engine, monkeypatch):
    archive.record(engine, "hq", "pc-1", pc())
    second = replace(pc(T0 + DAY), disks=())
    monkeypatch.setattr(archive, "apply", lambda before, changes, at: before)  # a rebuild that loses the change
    archive.record(engine, "hq", "pc-1", second)
    monkeypatch.undo()
    archive.record(engine, "hq", "pc-1", replace(second, captured_at=T0 + 2 * DAY, monitors=()))
    with engine.connect() as conn:
        rows = conn.execute(sa.select(asset_snapshots).order_by(asset_snapshots.c.id)).all()
    assert [(r.keyframe, r.body is not None) for r in rows] == [(True, True), (True, True), (False, True)]
    assert archive.snapshot_at(engine, "hq", "pc-1", T0 + DAY) == second


def test_an_older_capture_does_not_rewrite_history(engine):
    archive.record(engine, "hq", "pc-1", pc(T0 + DAY))
    late = archive.record(engine, "hq", "pc-1", replace(pc(T0), disks=()))
    assert not late.stored and late.changes == ()
    assert archive.current(engine, "hq")[0].snapshot == pc(T0 + DAY)


def test_assets_and_sites_are_kept_apart(engine):
    archive.record(engine, "hq", "pc-1", pc())
    archive.record(engine, "branch", "pc-1", replace(pc(), disks=()))
    archive.record(engine, "hq", "pc-2", replace(pc(), identity=replace(pc().identity, serial="PC2")))
    assert [c.asset_id for c in archive.current(engine, "hq")] == ["pc-1", "pc-2"]
    assert archive.current(engine, "branch")[0].snapshot.disks == ()
    assert archive.changes_between(engine, "hq", None, None) == {}


def test_page_counters_are_readings_not_changes(engine):
    printer = AssetSnapshot(kind="printer", source="snmp", captured_at=T0, printer=PrinterInfo("CNB1234567"),
                            counters=(PageCounter(1, 1000),))
    archive.record(engine, "hq", "prn-1", printer)
    again = archive.record(engine, "hq", "prn-1", replace(printer, captured_at=T0 + DAY, counters=(PageCounter(1, 1250),)))
    assert not again.stored
    assert [(r.at, r.count) for r in archive.counter_readings(engine, "hq", "prn-1")] == [(T0, 1000), (T0 + DAY, 1250)]
    assert archive.current(engine, "hq", "prn-1")[0].snapshot.counters == ()


def test_network_device_module_swap(engine):
    sw = AssetSnapshot(kind="network", source="snmp", captured_at=T0, identity=Identity(maker="Cisco", model="WS-C2960X-48FPD-L",
                                                                                    serial="FOC1234X0AB"),
                       components=(Component(1, "chassis", "1", model="WS-C2960X-48FPD-L", serial="FOC1234X0AB"),
                                   Component(1011, "module", "GigabitEthernet1/0/49", model="GLC-SX-MMD", serial="AGM1111",
                                             firmware_rev="V01")))
    archive.record(engine, "hq", "sw-1", sw)
    new_sfp = replace(sw, captured_at=T0 + DAY, components=(sw.components[0], replace(sw.components[1], serial="AGM2222",
                                                                                    firmware_rev="V02")))
    changes = archive.record(engine, "hq", "sw-1", new_sfp).changes
    assert [(c.path, c.category, counts_as_hardware(c)) for c in changes] == [
        ("components[1011].serial", "hardware", True), ("components[1011].firmware_rev", "firmware", False)]


def test_what_counts_as_a_hardware_change():
    a = pc()
    usb = Disk("sdb", "SanDisk Ultra", "4C530001", 32 * GiB, "removable", "usb")
    cases = {
        "disk swapped": (replace(a, disks=(replace(a.disks[0], serial="S4DXNF0M999999"),)), True),
        "usb stick plugged": (replace(a, disks=(*a.disks, usb)), False),
        "monitor undocked": (replace(a, monitors=()), False),
        "cpu changed": (replace(a, cpus=(replace(a.cpus[0], model="Intel(R) Core(TM) i7-8700T CPU @ 2.40GHz"),)), True),
        "cpu clock reported differently": (replace(a, cpus=(replace(a.cpus[0], max_mhz=2112),)), False),
        "bios updated": (replace(a, identity=replace(a.identity, bios_version="M1UKT5AA")), False),
        "serial changed (board replaced)": (replace(a, identity=replace(a.identity, serial="PC9ZZZZZ")), True),
        "smart health failed": (replace(a, disks=(replace(a.disks[0], health="failed"),)), False),
        "ip changed": (replace(a, adapters=(replace(a.adapters[0], ips=("192.0.2.99/24",)),)), False),
        "memory removed": (replace(a, memory=a.memory[:1]), True),
    }
    for name, (after, expected) in cases.items():
        changes = diff(a, after, T0)
        assert changes, name
        assert any(counts_as_hardware(c) for c in changes) is expected, name


def test_names_are_bounded(engine):
    with pytest.raises(archive.ArchiveError, match="asset id"):
        archive.record(engine, "hq", "x" * 129, pc())

