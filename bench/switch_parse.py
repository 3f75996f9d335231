"""CPU of the switch check's pure part (poll state, parse, evaluate) for one real device.

The Cisco c3560 recording (tests/snmp/data, 57 ports, 9 CDP neighbours) is read into walked
tables, then fetch's bookkeeping (port samples, poll state, the standard-MIB fallback
decision) and parse + evaluate run N times; the figure is CPU milliseconds per device poll,
without any network I/O. Compare it with the same script run from an older checkout (it
imports the code next to it) to see what a change costs per poll:

    .venv/bin/python bench/switch_parse.py [--runs 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.snmp import ports as P  # noqa: E402
from collectors.snmp.profiles import load_profiles  # noqa: E402
from collectors.switch import SwitchCollector, SwitchPoll  # noqa: E402
from config.checks.switch import SwitchParams  # noqa: E402
from inventory.models import NetworkDevice  # noqa: E402
from tests.snmp.recording import read_tables  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=300)
    args = ap.parse_args()
    profiles = load_profiles()
    profile, generic = profiles["cisco-ios"], profiles["generic"]
    try:  # absent before issue 14: the script also runs on an older checkout, for the comparison
        from collectors.snmp import neighbors as N
        from collectors.snmp.health import fallback_sections
    except ImportError:
        N, fallback_sections = None, None
    tables = read_tables("cisco-c3560", (*P.PORT_COLUMNS, *profile.columns(), *(N.COLUMNS if N else ())))
    system = {"1.3.6.1.2.1.1.3.0": 12_345_678, "1.3.6.1.2.1.1.5.0": b"sw"}
    device = NetworkDevice(name="sw", snmp={"community": "env:X"})
    params, collector = SwitchParams(), SwitchCollector()
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def poll() -> int:
        state = P.next_state(None, 1000.0, 12_345_678, P.port_samples(tables))
        if fallback_sections is None:
            raw = SwitchPoll(1000.0, (), None, 0.01, system, profile, tables, state)
        else:
            sections = fallback_sections(profile, tables, generic)
            raw = SwitchPoll(1000.0, (), None, 0.01, system, profile, tables, state, generic, sections)
        return len(list(collector.evaluate(collector.parse(raw), params, device, now)))

    results = poll()
    t0 = time.process_time()
    for _ in range(args.runs):
        poll()
    ms = (time.process_time() - t0) / args.runs * 1000
    print(f"switch check, pure part (state, parse, evaluate), Cisco c3560 recording: {ms:.2f} ms CPU per poll, "
          f"{results} results, {args.runs} runs")
    print("compared with: the same script run from an older checkout (it measures the code beside it)")


if __name__ == "__main__":
    main()
