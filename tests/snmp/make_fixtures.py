"""Trim snmpsim-data recordings of real devices into the small .snmprec fixtures in data/.

Run from the repository root when profiles gain columns:
    .venv/bin/python -m tests.snmp.make_fixtures [--librenms DIR]
With ``--librenms`` it also trims LibreNMS's recordings of users' devices into data/librenms/.
DIR holds, per device, the text of LibreNMS's tests/snmpsim/NAME.snmprec (GPL-3.0) as read
through the search index's read_file (whole, or the OID ranges a profile reads: the index
serves text pages, and CI has no copy of LibreNMS), and optionally NAME.json: LibreNMS's
tests/data/NAME.json or the part of it holding "processors", "mempools" and "sensors", whose
readings are written to data/librenms/NAME.readings.json (one file per recording). Which commit each text was read at is
recorded by hand in data/librenms/SOURCES.md. Those files stay GPL-3.0 test data
(data/librenms/README.md); nothing of them is linked into Patrol.
Each fixture keeps the system group, the IF-MIB columns the switch check walks, the
ENTITY-MIB name/descr/class columns, LLDP/CDP neighbours and every column any profile names: what the check
reads, nothing more (snmpsim indexes big recordings slowly). Sources are in SOURCES.md.
"""

from __future__ import annotations

import argparse
import bz2
import json
from pathlib import Path

import snmpsim_data

from collectors.snmp.neighbors import COLUMNS as NEIGHBOR_COLUMNS
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
    "hp-procurve-6120xg": "network/switch/hpe-procurve-516733-b21.snmprec.bz2",
    "brocade-icx6430": "network/switch/brocade-icx6430-24.snmprec.bz2",
    "dlink-des3028": "network/switch/dlink-des3038.snmprec.bz2",  # sysDescr says DES-3028
    "dlink-des3200": "network/switch/dlink-des3200.snmprec.bz2",
    "fortinet-fortigate": "network/firewall/fortinet-xcu.snmprec.bz2",
    "paloalto-pa5000": "network/firewall/paloalto-pa-5000.snmprec.bz2",  # no profile: generic
    "vyatta": "network/router/vyatta-unknown.snmprec.bz2",                # no profile: generic
    "ruijie-n18010": "network/router/ruijie-n18010.snmprec.bz2",
    "dcn-dcrs5980": "network/switch/dcrs-5980-28t-dc.snmprec.bz2",
    "zte-zxr10-5250": "network/switch/zte-zxr10-5250.snmprec.bz2",
    "bdcom-s5612": "network/switch/bdcom-s5612.snmprec.bz2",
}

LIBRENMS_OUT = OUT / "librenms"

KEEP = ("1.3.6.1.2.1.1.", "1.3.6.1.2.1.47.1.1.1.1.2.", "1.3.6.1.2.1.47.1.1.1.1.5.", "1.3.6.1.2.1.47.1.1.1.1.7.",
        *(c + "." for c in PORT_COLUMNS), *(c + "." for c in all_columns(load_profiles().values())),
        *(c + "." for c in NEIGHBOR_COLUMNS))


def trim(source: Path) -> list[str]:
    with bz2.open(source, "rt", encoding="latin-1") as fh:
        return [line for line in fh if line.startswith(KEEP)]


def _oid_key(line: str) -> tuple[int, ...]:
    return tuple(int(p) for p in line.split("|", 1)[0].strip(".").split(".") if p.isdigit())


def trim_text(text: str) -> list[str]:
    """The lines a fixture keeps, in OID order (snmpsim answers GETNEXT in file order)."""
    lines = [line + "\n" for line in text.splitlines() if line.lstrip(".").startswith(KEEP)]
    return sorted(lines, key=_oid_key)


def _state(sensor: dict, states: dict) -> str | None:
    """LibreNMS's own meaning of a state sensor's value: ok / warning / critical / unknown."""
    generic = states.get((sensor.get("state_name"), sensor.get("sensor_current")))
    return {0: "ok", 1: "warning", 2: "critical", 3: "unknown"}.get(generic) if generic is not None else None


def readings(data: dict) -> dict:
    """The readings LibreNMS recorded for one device, reduced to what the comparison needs."""
    disc = lambda key, rows: ((data.get(key) or {}).get("discovery") or {}).get(rows) or []  # noqa: E731
    states = {(s["state_name"], s["state_value"]): s["state_generic_value"] for s in disc("sensors", "state_indexes")}
    return {
        # "oid" (LibreNMS's processor_oid / sensor_oid) lets the comparison set apart a reading
        # whose OID the served walk lacks (a readings file of another version of the walk)
        "cpu": [{"descr": p["processor_descr"], "value": p["processor_usage"],
                 **({"oid": p["processor_oid"]} if p.get("processor_oid") else {})}
                for p in disc("processors", "processors")],
        "memory": [{"descr": m["mempool_descr"], "class": m.get("mempool_class"), "percent": m["mempool_perc"]}
                   for m in disc("mempools", "mempools")],
        "sensors": [{"class": s["sensor_class"], "descr": s["sensor_descr"], "type": s["sensor_type"],
                     "group": s.get("group"), "value": s["sensor_current"], "state": _state(s, states),
                     **({"index": s["sensor_index"]} if s.get("sensor_index") else {}),
                     **({"oid": s["sensor_oid"]} if s.get("sensor_oid") else {}),
                     **({"measured": s["entPhysicalIndex_measured"]} if s.get("entPhysicalIndex_measured") else {})}
                    for s in disc("sensors", "sensors")],
    }


def librenms(folder: Path) -> None:
    LIBRENMS_OUT.mkdir(exist_ok=True)
    for source in sorted(folder.glob("*.snmprec")):
        lines = trim_text(source.read_text(encoding="latin-1"))
        (LIBRENMS_OUT / source.name).write_text("".join(lines), encoding="latin-1")
        print(f"librenms/{source.stem}: {len(lines)} lines")
        data = folder / f"{source.stem}.json"
        if data.exists():
            reduced = readings(json.loads(data.read_text(encoding="utf-8")))
            (LIBRENMS_OUT / f"{source.stem}.readings.json").write_text(
                json.dumps(reduced, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--librenms", type=Path, help="folder of LibreNMS recordings read through the search index")
    args = parser.parse_args()
    if args.librenms:
        librenms(args.librenms)
    OUT.mkdir(exist_ok=True)
    rows = []
    for name, rel in SOURCES.items():
        lines = trim(ROOT / rel)
        (OUT / f"{name}.snmprec").write_text("".join(lines), encoding="latin-1")
        print(f"{name}: {len(lines)} lines from {rel}")
        rows.append(f"| `{name}.snmprec` | `{rel}` | {len(lines)} |")
    (OUT / "SOURCES.md").write_text(
        "# Where the recordings in this folder come from\n\n"
        "Real device walks from the `snmpsim-data` package (PyPI snmpsim-data 1.0.1, folder `data/`),\n"
        "trimmed by `tests/snmp/make_fixtures.py` to the objects the switch check reads. Hand-made\n"
        "recordings (a partial agent, not-supported values, counters that move) are generated by\n"
        "`tests/snmp/conftest.py` and `tests/snmp/synth.py`, not stored here.\n\n"
        "| fixture | snmpsim-data recording | lines kept |\n|---|---|---|\n" + "\n".join(rows) + "\n",
        encoding="utf-8")


if __name__ == "__main__":
    main()
