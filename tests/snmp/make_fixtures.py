"""Trim snmpsim-data recordings of real devices into the small .snmprec fixtures in data/.

Run from the repository root when profiles gain columns:
    .venv/bin/python -m tests.snmp.make_fixtures
Each fixture keeps the system group, the IF-MIB columns the switch check walks, the
ENTITY-MIB name/descr/class columns and every column any profile names: what the check
reads, nothing more (snmpsim indexes big recordings slowly). Sources are in SOURCES.md.
"""

from __future__ import annotations

import bz2
from pathlib import Path

import snmpsim_data

from collectors.snmp.ports import PORT_COLUMNS
from collectors.snmp.profiles import all_columns, load_profiles

ROOT = Path(snmpsim_data.__file__).parent / "data"
OUT = Path(__file__).parent / "data"

# fixture name -> recording in snmpsim-data (PyPI snmpsim-data 1.0.1)
SOURCES = {
    "cisco-c3560": "network/switch/cisco-c3560.snmprec.bz2",
    "cisco-n5000": "network/switch/cisco-n5000.snmprec.bz2",
    "h3c-comware7": "network/switch/h3c-comware-7-1-075.snmprec.bz2",
    "h3c-e528": "network/switch/h3c-e528-1.snmprec.bz2",
    "huawei-s5720": "network/router/huawei-s5720.snmprec.bz2",
    "huawei-s12704": "network/switch/huawei-s12704.snmprec.bz2",
    "ruijie-s5750": "network/switch/ruijie-s5750-24gt12sfp.snmprec.bz2",
    "juniper-mx960": "network/router/juniper-mx960-16-1r6-7-a.snmprec.bz2",
    "arista-7150s": "cloud/arista-dcs-7150s-52-cl.snmprec.bz2",
}

KEEP = ("1.3.6.1.2.1.1.", "1.3.6.1.2.1.47.1.1.1.1.2.", "1.3.6.1.2.1.47.1.1.1.1.5.", "1.3.6.1.2.1.47.1.1.1.1.7.",
        *(c + "." for c in PORT_COLUMNS), *(c + "." for c in all_columns(load_profiles().values())))


def trim(source: Path) -> list[str]:
    with bz2.open(source, "rt", encoding="latin-1") as fh:
        return [line for line in fh if line.startswith(KEEP)]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, rel in SOURCES.items():
        lines = trim(ROOT / rel)
        (OUT / f"{name}.snmprec").write_text("".join(lines), encoding="latin-1")
        print(f"{name}: {len(lines)} lines from {rel}")


if __name__ == "__main__":
    main()
