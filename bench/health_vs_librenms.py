"""Patrol's health readings against LibreNMS's, on the real walks LibreNMS keeps beside them.

For every recording in tests/snmp/data/librenms/ (LibreNMS users' devices, GPL-3.0 test data),
one snmpsim process serves the walk, Patrol's switch check polls it once, and the CPU, memory,
temperature, fan and power-supply readings are compared with the ones LibreNMS recorded from
the same walk (NAME.readings.json; what counts as a reading: tests/snmp/librenms_compare.py).
Prints per-kind coverage ("CPU 29 of 30") and every difference with its explanation;
tests/snmp/test_librenms.py pins the same figures.

    .venv/bin/python bench/health_vs_librenms.py [--device NAME]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.snmp import librenms_compare as lc  # noqa: E402
from tests.snmp.conftest import LIBRENMS_DATA, device, poll_once, recordings_in, serve  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", action="append", help="only these recordings (repeatable)")
    args = ap.parse_args()
    recorded = lc.load_recorded(LIBRENMS_DATA)
    if args.device:
        recorded = {k: v for k, v in recorded.items() if k in args.device}
    with tempfile.TemporaryDirectory(prefix="patrol-librenms-") as tmp:
        recordings = recordings_in(LIBRENMS_DATA)
        agent = serve(Path(tmp), recordings, next(iter(recordings)))
        try:
            results = {name: poll_once(device(agent.port, name), Path(tmp) / "state") for name in recorded}
        finally:
            agent.proc.stop()
    comparison = lc.compare(recorded, results, lc.walk_oids(LIBRENMS_DATA, recorded))
    print(f"{len(recorded)} recordings from LibreNMS's tests/snmpsim, Patrol vs LibreNMS's own readings")
    without = sorted(set(recordings_in(LIBRENMS_DATA)) - set(recorded))
    if without and not args.device:
        print(f"  (no readings kept for {', '.join(without)}: polled by tests/snmp/test_devices.py only)")
    for name in sorted(recorded):
        theirs, ours = lc.librenms_items(recorded[name]), lc.patrol_items(results[name])
        print(f"  {name}: " + ", ".join(f"{lc.KIND_NAMES[k]} {len(ours[k])}/{len(theirs[k])}" for k in lc.KINDS))
    print("coverage (LibreNMS readings Patrol also takes):")
    for line in lc.coverage_lines(comparison):
        print(f"  {line}")
    for d in comparison.not_in_walk:
        print(f"  not counted: {d.device} {lc.KIND_NAMES[d.kind]} {d.librenms!r}: {d.what} (another version of the walk)")
    print("differences:" if comparison.differences else "differences: none")
    for d in comparison.differences:
        why = lc.EXPLAINED.get(d.key(), "NOT EXPLAINED")
        print(f"  {d.device} {lc.KIND_NAMES[d.kind]} {d.librenms!r}: {d.what} -- {why}")


if __name__ == "__main__":
    main()
