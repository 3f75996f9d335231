"""CPU to load a large site inventory, which every `patrol run` worker does afresh.

Generates a YAML inventory (half switches with a group and an asset record, half PCs; one
core switch the others depend on), then loads it with Patrol's loader as shipped (libyaml
events built straight into data, cycle collector paused) and with the loader before that
change (PyYAML's composed node tree, then construction, with the collector running), and
prints both and the ratio. The target is 40,000 targets in under 2 s.

    .venv/bin/python bench/inventory_load.py [--targets 40000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

import yaml

import config.loader
import inventory.loader
from config.fast_yaml import NotPlain
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


def _loader_before_the_fast_path() -> contextlib.ExitStack:
    """The loader as it was: every document through the composed node tree, with the cycle
    collector running. Undone by closing the returned stack."""
    stack = contextlib.ExitStack()

    def always_full(text: str) -> None:
        raise NotPlain("benchmark: the loader before the fast path")

    for module, name, replacement in ((config.loader, "load_plain", always_full),
                                      (inventory.loader, "_cycle_collector_paused", contextlib.nullcontext)):
        original = getattr(module, name)
        setattr(module, name, replacement)
        stack.callback(setattr, module, name, original)
    return stack


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=40000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.yaml"
        generate(path, args.targets)
        size_mb = path.stat().st_size / 1e6
        shipped, count = cpu_seconds(path, args.repeat)
        before = _loader_before_the_fast_path()
        try:
            composed, _ = cpu_seconds(path, args.repeat)
        finally:
            before.close()
    print(f"inventory of {count} targets ({size_mb:.1f} MB of YAML), median CPU per load "
          f"of {args.repeat}:")
    print(f"  shipped (libyaml events -> data, collector paused)   {shipped:.3f} s   target: under 2 s")
    print(f"  before (PyYAML node tree, then construction)         {composed:.3f} s   "
          f"({composed / shipped:.1f}x the shipped time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
