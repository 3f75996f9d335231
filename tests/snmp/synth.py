"""Recordings of a made-up Cisco IOS access switch, written by the tests (and bench/).

snmpsim-data has no recording whose counters advance, that reboots, loses a port or a
fan, so these are generated: the same device at different moments is the same snmprec
with different values. ``rates`` turns the octet/error counters into snmpsim ``numeric``
variations (value = initial + rate x seconds since the simulator started), i.e. counters
that really advance between two polls.
"""

from __future__ import annotations

from collections.abc import Mapping

SYS_OBJECT_ID = "1.3.6.1.4.1.9.1.617"  # CISCO-PRODUCTS-MIB::catalyst356048PS (the c3560 recording's id)


def _sort_key(line: str) -> tuple[int, ...]:
    return tuple(int(p) for p in line.split("|", 1)[0].split("."))


def switch(*, ports: int = 48, uptime_ticks: int = 123_456_700, oper: Mapping[int, int] | None = None,
           counters: Mapping[int, tuple[int, int, int, int, int, int]] | None = None,
           fan_state: int = 1, psu_state: int = 1, temperature: int = 38, cpu: int = 12,
           rates: Mapping[int, tuple[float, float, float]] | None = None, name: str = "access-sw") -> str:
    """snmprec text. ``oper`` ifOperStatus per port number (default 1 up); ``counters`` per port:
    (hc_in_octets, hc_out_octets, in_errors, out_errors, in_discards, out_discards); ``rates`` per
    port: (in bytes/s, out bytes/s, in errors/s) as numeric variations instead."""
    oper = oper or {}
    counters = counters or {}
    rates = rates or {}
    lines = [
        f"1.3.6.1.2.1.1.1.0|4|Cisco IOS Software, C3560 Software (C3560-IPSERVICESK9-M), Version 12.2(55)SE",
        f"1.3.6.1.2.1.1.2.0|6|{SYS_OBJECT_ID}",
        f"1.3.6.1.2.1.1.3.0|67|{uptime_ticks}",
        f"1.3.6.1.2.1.1.5.0|4|{name}",
        f"1.3.6.1.4.1.9.9.109.1.1.1.1.8.1|66|{cpu}",            # cpmCPUTotal5minRev
        "1.3.6.1.4.1.9.9.48.1.1.1.2.1|4|Processor",              # ciscoMemoryPoolName
        "1.3.6.1.4.1.9.9.48.1.1.1.5.1|66|22188980",              # ciscoMemoryPoolUsed
        "1.3.6.1.4.1.9.9.48.1.1.1.6.1|66|53499780",              # ciscoMemoryPoolFree
        "1.3.6.1.4.1.9.9.13.1.3.1.2.1005|4|Sensor 1",            # ciscoEnvMonTemperatureStatusDescr
        f"1.3.6.1.4.1.9.9.13.1.3.1.3.1005|66|{temperature}",     # ...StatusValue
        "1.3.6.1.4.1.9.9.13.1.3.1.4.1005|2|66",                  # ...Threshold
        f"1.3.6.1.4.1.9.9.13.1.3.1.6.1005|2|{1 if temperature < 66 else 3}",
        "1.3.6.1.4.1.9.9.13.1.4.1.2.1004|4|Fan 1",               # ciscoEnvMonFanStatusDescr
        f"1.3.6.1.4.1.9.9.13.1.4.1.3.1004|2|{fan_state}",        # ciscoEnvMonFanState
        "1.3.6.1.4.1.9.9.13.1.5.1.2.1003|4|PS 1",                # ciscoEnvMonSupplyStatusDescr
        f"1.3.6.1.4.1.9.9.13.1.5.1.3.1003|2|{psu_state}",        # ciscoEnvMonSupplyState
    ]
    for port in range(1, ports + 1):
        idx = 10100 + port
        name_ = f"Gi0/{port}"
        hc_in, hc_out, in_err, out_err, in_disc, out_disc = counters.get(port, (1000 * port, 2000 * port, 0, 0, 0, 0))
        lines += [
            f"1.3.6.1.2.1.2.2.1.2.{idx}|4|GigabitEthernet0/{port}",
            f"1.3.6.1.2.1.2.2.1.3.{idx}|2|6",
            f"1.3.6.1.2.1.2.2.1.5.{idx}|66|1000000000",
            f"1.3.6.1.2.1.2.2.1.7.{idx}|2|1",
            f"1.3.6.1.2.1.2.2.1.8.{idx}|2|{oper.get(port, 1)}",
            f"1.3.6.1.2.1.2.2.1.10.{idx}|65|{hc_in % 2**32}",
            f"1.3.6.1.2.1.2.2.1.13.{idx}|65|{in_disc}",
            f"1.3.6.1.2.1.2.2.1.19.{idx}|65|{out_disc}",
            f"1.3.6.1.2.1.2.2.1.16.{idx}|65|{hc_out % 2**32}",
            f"1.3.6.1.2.1.2.2.1.20.{idx}|65|{out_err}",
            f"1.3.6.1.2.1.31.1.1.1.1.{idx}|4|{name_}",
            f"1.3.6.1.2.1.31.1.1.1.15.{idx}|66|1000",
        ]
        if port in rates:
            rin, rout, rerr = rates[port]
            lines += [f"1.3.6.1.2.1.31.1.1.1.6.{idx}|70:numeric|rate={rin},initial={hc_in}",
                      f"1.3.6.1.2.1.31.1.1.1.10.{idx}|70:numeric|rate={rout},initial={hc_out}",
                      f"1.3.6.1.2.1.2.2.1.14.{idx}|65:numeric|rate={rerr},initial={in_err}"]
        else:
            lines += [f"1.3.6.1.2.1.31.1.1.1.6.{idx}|70|{hc_in}",
                      f"1.3.6.1.2.1.31.1.1.1.10.{idx}|70|{hc_out}",
                      f"1.3.6.1.2.1.2.2.1.14.{idx}|65|{in_err}"]
    return "\n".join(sorted(lines, key=_sort_key)) + "\n"


# Counter columns of ifTable/ifXTable moved on by ``later`` (ifIndex -> increase), 32-bit ones wrapping.
_LATER_COUNTERS = {
    "1.3.6.1.2.1.31.1.1.1.6.": lambda i: (i % 11) * 4_000_000_000,   # ifHCInOctets: up to ~1.2 Gbit/s over 300 s
    "1.3.6.1.2.1.31.1.1.1.10.": lambda i: (i % 7) * 1_000_000_000,   # ifHCOutOctets
    "1.3.6.1.2.1.2.2.1.10.": lambda i: (i % 5) * 900_000_000,        # ifInOctets (Counter32: some wrap)
    "1.3.6.1.2.1.2.2.1.16.": lambda i: (i % 3) * 700_000_000,        # ifOutOctets
    "1.3.6.1.2.1.2.2.1.14.": lambda i: (i % 4) * 300,                # ifInErrors: 0-3 errors/s
    "1.3.6.1.2.1.2.2.1.20.": lambda i: (i % 13 == 0) * 3_600,        # ifOutErrors: 12/s on a few ports
    "1.3.6.1.2.1.2.2.1.13.": lambda i: (i % 6) * 600,                # ifInDiscards
    "1.3.6.1.2.1.2.2.1.19.": lambda i: (i % 2) * 1_200,              # ifOutDiscards
}


def later(recording: str, seconds: int) -> str:
    """A real recording (snmprec text) as the device would answer ``seconds`` later: sysUpTime
    advanced, every port's counters increased by an amount depending on its ifIndex (Counter32
    ones wrapping), and every ninth port's ifOperStatus flipped up <-> down. Made by hand from
    the real device, for second polls with rates, wraps, line-rate overruns and ports that went
    down or came up (tests/snmp/test_golden.py)."""
    out = []
    for line in recording.splitlines():
        oid, tag, value = line.split("|", 2)
        index = oid.rsplit(".", 1)[-1]
        if oid == "1.3.6.1.2.1.1.3.0" and tag == "67":
            value = str((int(value) + seconds * 100) % 2**32)
        elif tag in ("65", "70") and index.isdigit():
            for prefix, step in _LATER_COUNTERS.items():
                if oid.startswith(prefix) and oid.count(".") == prefix.count("."):
                    value = str((int(value) + step(int(index))) % (2**32 if tag == "65" else 2**64))
                    break
        elif oid.startswith("1.3.6.1.2.1.2.2.1.8.") and tag == "2" and index.isdigit() and int(index) % 9 == 0:
            value = {"1": "2", "2": "1"}.get(value, value)
        out.append(f"{oid}|{tag}|{value}")
    return "\n".join(out) + "\n"
