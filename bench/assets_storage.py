"""Asset archive storage per 1,000 assets per year of daily captures (issue 19's benchmark).

Simulates a year of daily captures of office PCs through ``archive.record`` (the code the
agent and the collector run) into a fresh store, and prints the store's size on disk per
1,000 assets per year, beside what keeping every daily capture would take (each capture
compressed the same way, no deduplication), measured in the same run.

The simulated PC is a Windows office machine: 2 memory modules, 1 NVMe disk, 2 adapters,
1 monitor, ``--programs`` installed programs (150: what the Uninstall keys of a typical
office PC list). Each day, with a seeded random generator: program updates (``--updates``
a month per PC: browsers, Office, Defender platform, WPS, DingTalk...), installs and
removals (``--installs`` a year each), a DHCP address change (``--ip-changes`` a year),
and rarely a hardware change (``--hardware`` a year per PC: a module or disk swapped).

Storage is linear in the number of assets (each asset's rows are its own), so by default
it simulates 100 PCs for 365 days and scales to 1,000 (``--assets 1000`` runs them all;
the script says which it did). ``--url`` measures PostgreSQL instead of SQLite (table sizes
from pg_total_relation_size).

    nice -n 10 .venv/bin/python bench/assets_storage.py [--assets 100] [--days 365] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import zlib
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from agent.assets import archive
from agent.assets.model import (AssetSnapshot, Cpu, Disk, Identity, MemoryModule, Monitor, NetworkAdapter,
                                OperatingSystem, Software, to_json)
from agent.assets.schema import metadata as assets_metadata
from agent.context import store_components
from agent.store import Store

START = datetime(2026, 1, 1, 9, tzinfo=timezone.utc)
GiB = 2**30
PUBLISHERS = ("Microsoft Corporation", "Google LLC", "Kingsoft Corp.", "Alibaba (China) Network Technology Co.,Ltd.",
              "Tencent Technology (Shenzhen) Company Limited", "Adobe Inc.", "Intel Corporation", "Realtek Semiconductor Corp.")


def programs(rng: random.Random, count: int) -> list[Software]:
    out = []
    for i in range(count):
        name = rng.choice(("Microsoft", "Intel(R)", "Realtek", "WPS", "Google", "钉钉", "微信", "Adobe", "NVIDIA", "7-Zip"))
        out.append(Software(f"{name} Component {i} (x64)", f"{rng.randint(1, 30)}.{rng.randint(0, 9)}.{rng.randint(0, 9999)}",
                            rng.choice(PUBLISHERS), date(2024, rng.randint(1, 12), rng.randint(1, 28)),
                            rng.choice(("HKLM64", "HKLM32", "HKCU"))))
    return out


def first_snapshot(rng: random.Random, n: int, program_count: int) -> AssetSnapshot:
    serial = f"PC{n:06d}{rng.randint(0, 99):02d}"
    return AssetSnapshot(
        kind="computer", source="windows", captured_at=START,
        identity=Identity(maker="LENOVO", model="ThinkCentre M720q", serial=serial, uuid=f"{n:08x}-0000-4000-8000-000000000000",
                          board_maker="LENOVO", board_model="3136", board_serial=f"L1HF{n:08d}", bios_vendor="LENOVO",
                          bios_version="M1UKT4BA", bios_date=date(2023, 2, 1), firmware="uefi"),
        cpus=(Cpu("Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz", "U3E1", 6, 6, 2100),),
        memory=(MemoryModule("ChannelA-DIMM0", 8 * GiB, 2666, "DDR4", "Samsung", f"{rng.getrandbits(32):08X}", "M471A1K43CB1-CTD"),
                MemoryModule("ChannelB-DIMM0", 8 * GiB, 2666, "DDR4", "Samsung", f"{rng.getrandbits(32):08X}", "M471A1K43CB1-CTD")),
        disks=(Disk(r"\\.\PHYSICALDRIVE0", "SAMSUNG MZVLB256HAHQ-000L7", f"S4DXNF0M{n:06d}", 256060514304, "nvme", "NVMe",
                    health="passed"),),
        adapters=(NetworkAdapter("Intel(R) Ethernet Connection (7) I219-V", f"8c:16:45:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}",
                                 (f"10.20.{n // 250 % 250}.{n % 250 + 2}/24", "fe80::1234:5678:9abc:def0/64"), "ethernet", 1000),
                  NetworkAdapter("Intel(R) Wireless-AC 9560", None, (), "wireless")),
        monitors=(Monitor("DEL", "DELL P2419H", 0xA0F4, f"CFV9N{n:05d}", 2019, "DISPLAY1"),),
        os=OperatingSystem("Microsoft Windows 11 专业版", "Professional", "10.0.22631", "22631.4460", "64 位", "licensed"),
        software=tuple(programs(rng, program_count)),
    )


def next_day(rng: random.Random, s: AssetSnapshot, at: datetime, args: argparse.Namespace) -> AssetSnapshot:
    software = list(s.software)
    for _ in range(_events(rng, args.updates * 12 / 365)):
        i = rng.randrange(len(software))
        software[i] = replace(software[i], version=f"{rng.randint(1, 30)}.{rng.randint(0, 9)}.{rng.randint(0, 9999)}")
    for _ in range(_events(rng, args.installs / 365)):
        software.append(programs(rng, 1)[0])
    for _ in range(_events(rng, args.installs / 365)):
        if len(software) > 10:
            software.pop(rng.randrange(len(software)))
    out = replace(s, captured_at=at, software=tuple(software))
    if _events(rng, args.ip_changes / 365):
        a = out.adapters[0]
        out = replace(out, adapters=(replace(a, ips=(f"10.20.{rng.randint(0, 249)}.{rng.randint(2, 250)}/24", a.ips[1])),
                                     *out.adapters[1:]))
    if _events(rng, args.hardware / 365):
        m = out.memory[0]
        out = replace(out, memory=(replace(m, serial=f"{rng.getrandbits(32):08X}"), *out.memory[1:]))
    return out


def _events(rng: random.Random, rate: float) -> int:
    """How many events of a Poisson process of ``rate`` a day happen today."""
    count, threshold, p = 0, pow(2.718281828459045, -rate), rng.random()
    while p > threshold:
        count += 1
        p *= rng.random()
    return count


def store_bytes(engine: sa.Engine, path: Path | None) -> tuple[int, dict[str, int]]:
    tables = [t.name for t in assets_metadata.sorted_tables]
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            sizes = {t: conn.execute(sa.text(f"SELECT pg_total_relation_size('{t}')")).scalar() for t in tables}
        return sum(sizes.values()), sizes
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM")  # in WAL mode it writes the compacted pages to the WAL...
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # ...and this puts them in the file
        try:
            rows = conn.exec_driver_sql("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").all()
            sizes = {name: size for name, size in rows}
            by_table = {t: sum(v for k, v in sizes.items() if k == t or k.startswith(("ix_" + t, "sqlite_autoindex_" + t)))
                        for t in tables}
        except sa.exc.OperationalError:  # SQLite built without dbstat
            by_table = {}
    assert path is not None
    return path.stat().st_size, by_table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--programs", type=int, default=150)
    parser.add_argument("--updates", type=float, default=8, help="program updates a month per PC")
    parser.add_argument("--installs", type=float, default=6, help="installs (and as many removals) a year per PC")
    parser.add_argument("--ip-changes", type=float, default=12, help="address changes a year per PC")
    parser.add_argument("--hardware", type=float, default=0.1, help="hardware changes a year per PC")
    parser.add_argument("--url", help="a PostgreSQL URL (an empty database); default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    # On tmpfs when there is one: the figure is the file's size; the disk's speed only slows the run.
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        path = None if args.url else Path(tmp) / "assets.sqlite"
        store = Store.open(args.url or f"sqlite:///{path}", "hq", store_components())
        engine = store.engine
        base = store_bytes(engine, path)[0]
        undeduplicated = 0  # every daily capture kept, compressed as the archive compresses
        whole_versions = 0  # every version's body kept (deduplicated, but no rebuilding from changes)
        stored = changes = 0
        cpu_changed: list[float] = []
        cpu_same: list[float] = []
        wall0 = time.monotonic()
        for n in range(args.assets):
            snapshot = first_snapshot(rng, n, args.programs)
            compressed = len(zlib.compress(_canonical(snapshot), 6))
            whole_versions += compressed
            for day in range(args.days):
                at = START + timedelta(days=day)
                if day:
                    nxt = next_day(rng, snapshot, at, args)
                    if nxt.content_hash() != snapshot.content_hash():
                        compressed = len(zlib.compress(_canonical(nxt), 6))
                        whole_versions += compressed
                    snapshot = nxt
                undeduplicated += compressed
                t0 = time.process_time()
                outcome = archive.record(engine, "hq", f"pc-{n:05d}", snapshot, at)
                (cpu_changed if outcome.stored else cpu_same).append(time.process_time() - t0)
                stored += outcome.stored
                changes += len(outcome.changes)
        wall = time.monotonic() - wall0
        total, by_table = store_bytes(engine, path)
        store.close()

    scale = 1000 / args.assets * 365 / args.days
    archive_bytes = (total - base) * scale
    raw = undeduplicated * scale
    load = os.getloadavg()
    print(f"asset archive storage, {args.assets} simulated PCs x {args.days} daily captures "
          f"({args.programs} programs, {args.updates:g} updates/month, {args.installs:g} installs/year, "
          f"{args.ip_changes:g} address changes/year, {args.hardware:g} hardware changes/year), "
          f"{'PostgreSQL' if args.url else 'SQLite'}, load average {load[0]:.1f}:")
    print(f"  contents stored: {stored} of {args.assets * args.days} captures; changes recorded: {changes}")
    print(f"  per 1,000 assets per year{' (scaled from ' + str(args.assets) + ' assets)' if args.assets != 1000 else ''}:"
          f" {archive_bytes / 1e6:.1f} MB in the store")
    print(f"  compared with every daily capture kept (zlib, no deduplication): {raw / 1e6:.1f} MB "
          f"({raw / archive_bytes:.1f}x the archive)")
    print(f"  compared with every version's body kept (deduplicated, none rebuilt from changes): "
          f"{whole_versions * scale / 1e6:.1f} MB of bodies alone")
    if by_table:
        print("  by table (with indexes), per 1,000 assets per year: " + ", ".join(
            f"{t} {v * scale / 1e6:.1f} MB" for t, v in sorted(by_table.items(), key=lambda kv: -kv[1])))
    if cpu_same and cpu_changed:
        print(f"  CPU per record(): {1000 * sorted(cpu_same)[len(cpu_same) // 2]:.2f} ms unchanged, "
              f"{1000 * sorted(cpu_changed)[len(cpu_changed) // 2]:.2f} ms changed (median); {wall:.0f} s wall in all")
    return 0


def _canonical(snapshot: AssetSnapshot) -> bytes:
    import json

    return json.dumps(to_json(snapshot), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


if __name__ == "__main__":
    raise SystemExit(main())
