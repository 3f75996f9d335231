"""Trim real device walks from the snmpsim-data package to what the asset capture reads:
``python -m tests.assets.make_snmp_fixtures`` rewrites snmp/<name>.snmprec (sources in
fixtures/SOURCES.md). Hand-made printer recordings are written by hand, not here."""

from __future__ import annotations

import bz2
from pathlib import Path

import snmpsim_data

OUT = Path(__file__).parent / "snmp"
RECORDINGS = {
    "cisco-c3560": "network/switch/cisco-c3560",
    "huawei-s5720": "network/router/huawei-s5720",
    "h3c-e528": "network/switch/h3c-e528-1",
    "juniper-mx960": "network/router/juniper-mx960-16-1r6-7-a",
    "arista-7150s": "cloud/arista-dcs-7150s-52-cl",
    "zte-zxr10": "network/switch/zte-zrx10",
    "dcn-dcrs5980": "network/switch/dcrs-5980-28t-dc",
    "fortinet-xcu": "network/firewall/fortinet-xcu",
}
KEEP = ("1.3.6.1.2.1.1.1.0|", "1.3.6.1.2.1.1.2.0|", "1.3.6.1.2.1.1.3.0|", "1.3.6.1.2.1.1.5.0|",
        "1.3.6.1.2.1.47.1.1.1.1.", "1.3.6.1.2.1.43.", "1.3.6.1.2.1.25.3.2.1.")


def main() -> None:
    root = Path(snmpsim_data.__file__).parent / "data"
    for name, source in RECORDINGS.items():
        lines = bz2.decompress((root / f"{source}.snmprec.bz2").read_bytes()).decode("latin-1").splitlines(keepends=True)
        (OUT / f"{name}.snmprec").write_text("".join(line for line in lines if line.startswith(KEEP)), encoding="latin-1")


if __name__ == "__main__":
    main()
