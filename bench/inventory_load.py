"""CPU to load a large site inventory, which every `patrol run` worker does afresh.

Generates a YAML inventory of 1000 switches and 1000 PCs (with a group, defaults and an
asset record each), then loads it with Patrol's loader as shipped (libyaml) and with the
pure-Python PyYAML loader it used before (which also parsed each file twice), and prints
both and the ratio.

    .venv/bin/python bench/inventory_load.py [--targets 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

import config.loader
from inventory.loader import load_inventory


def generate(path: Path, targets: int) -> None:
    half = targets // 2
    doc = {
        "site": {"name": "hq"},
        "defaults": {"snmp": {"version": "2c", "community": "env:SNMP_RO_COMMUNITY"}},
        "groups": {"access": {"depends_on": ["sw-core-1"]}},
        "network_devices": [{"name": "sw-core-1", "address": "10.0.0.1"}] + [
            {"name": f"sw-{i}", "address": f"10.{1 + i // 250}.{i % 250}.1", "groups": ["access"],
             "asset": {"number": f"NET-{i:04d}", "location": "server room"}} for i in range(half - 1)],
        "hosts": [{"name": f"pc-{i}", "address": f"10.{100 + i // 250}.{i % 250}.10", "os": "windows",
                   "groups": ["access"]} for i in range(targets - half)],
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")


def cpu_seconds(path: Path, repeat: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        t0 = time.process_time()
        count = len(load_inventory(path).targets)
        times.append(time.process_time() - t0)
    return statistics.median(times), count


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.yaml"
        generate(path, args.targets)
        shipped, count = cpu_seconds(path, args.repeat)
        original = config.loader._Loader
        config.loader._Loader = yaml.SafeLoader  # the pure-Python loader, as before
        try:
            pure, _ = cpu_seconds(path, max(1, args.repeat // 2))
        finally:
            config.loader._Loader = original
    print(f"inventory of {count} targets ({path.name}, {args.targets} generated), median CPU per load:")
    print(f"  shipped: {original.__name__}, one parse          {shipped:.3f} s")
    print(f"  pure-Python yaml.SafeLoader, one parse    {pure:.3f} s  ({pure / shipped:.1f}x the shipped time;")
    print("  the loader before this bench parsed twice with it, about twice this)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
