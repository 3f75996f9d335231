"""LLDP and CDP neighbours of a switch, from LLDP-MIB lldpRemTable and CISCO-CDP-MIB cdpCacheTable (pure).

One ``Neighbor`` per remote system seen on a local port: the local port (ifName where the
port number is an ifIndex, else the LLDP local port description), the remote system name,
its port, its chassis id and a management address. Devices that speak both protocols
list the same neighbour once per protocol. Odd rows (no remote name and no chassis id)
are left out: there is nothing to draw or to miss.

Raw sample (HP ProCurve 6120XG, snmpsim-data)::

    1.0.8802.1.1.2.1.4.1.1.5.0.17.1|4x|8c604f19163a          lldpRemChassisId (subtype 4: MAC)
    1.0.8802.1.1.2.1.4.1.1.7.0.17.1|4x|457468312f3139        lldpRemPortId "Eth1/19"
    1.0.8802.1.1.2.1.4.1.1.9.0.17.1|4x|4e5750552d43412d...   lldpRemSysName "NWPU-CA-5548-01"
    1.0.8802.1.1.2.1.4.2.1.3.0.17.1.1.4.10.40.1.19|2|2       lldpRemManAddrIfSubtype (address 10.40.1.19 in the index)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collectors.snmp.health import text
from collectors.snmp.ports import IF_NAME

# LLDP-MIB (IEEE 802.1AB): lldpRemTable, index lldpRemTimeMark.lldpRemLocalPortNum.lldpRemIndex
LLDP_CHASSIS_SUBTYPE = "1.0.8802.1.1.2.1.4.1.1.4"  # lldpRemChassisIdSubtype (4 macAddress, 5 networkAddress)
LLDP_CHASSIS_ID = "1.0.8802.1.1.2.1.4.1.1.5"       # lldpRemChassisId
LLDP_PORT_SUBTYPE = "1.0.8802.1.1.2.1.4.1.1.6"     # lldpRemPortIdSubtype (3 macAddress)
LLDP_PORT_ID = "1.0.8802.1.1.2.1.4.1.1.7"          # lldpRemPortId
LLDP_PORT_DESC = "1.0.8802.1.1.2.1.4.1.1.8"        # lldpRemPortDesc
LLDP_SYS_NAME = "1.0.8802.1.1.2.1.4.1.1.9"         # lldpRemSysName
LLDP_MAN_ADDR = "1.0.8802.1.1.2.1.4.2.1.3"         # lldpRemManAddrIfSubtype (the address is in the index)
LLDP_LOC_PORT_DESC = "1.0.8802.1.1.2.1.3.7.1.4"    # lldpLocPortDesc, index lldpLocPortNum
# CISCO-CDP-MIB: cdpCacheTable, index cdpCacheIfIndex.cdpCacheDeviceIndex
CDP_ADDRESS_TYPE = "1.3.6.1.4.1.9.9.23.1.2.1.1.3"  # cdpCacheAddressType (1 ip)
CDP_ADDRESS = "1.3.6.1.4.1.9.9.23.1.2.1.1.4"       # cdpCacheAddress (4 octets for ip)
CDP_DEVICE_ID = "1.3.6.1.4.1.9.9.23.1.2.1.1.6"     # cdpCacheDeviceId
CDP_DEVICE_PORT = "1.3.6.1.4.1.9.9.23.1.2.1.1.7"   # cdpCacheDevicePort

COLUMNS = (LLDP_CHASSIS_SUBTYPE, LLDP_CHASSIS_ID, LLDP_PORT_SUBTYPE, LLDP_PORT_ID, LLDP_PORT_DESC, LLDP_SYS_NAME,
           LLDP_MAN_ADDR, LLDP_LOC_PORT_DESC, CDP_ADDRESS_TYPE, CDP_ADDRESS, CDP_DEVICE_ID, CDP_DEVICE_PORT)

Tables = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Neighbor:
    protocol: str          # "lldp" | "cdp"
    local_port: str
    remote_name: str       # lldpRemSysName / cdpCacheDeviceId, else the chassis id
    remote_port: str
    chassis_id: str = ""
    mgmt_address: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"protocol": self.protocol, "local_port": self.local_port, "remote_name": self.remote_name,
                "remote_port": self.remote_port, "chassis_id": self.chassis_id, "mgmt_address": self.mgmt_address}


def _mac(value: object) -> str:
    if isinstance(value, bytes) and len(value) == 6:
        return ":".join(f"{b:02x}" for b in value)
    return text(value) or ""


def _printable(value: object) -> str:
    """Text when the octets are text, else hex (chassis ids are often raw bytes)."""
    if isinstance(value, bytes):
        decoded = text(value) or ""
        if decoded and all(c.isprintable() for c in decoded):
            return decoded
        return value.hex(":")
    return text(value) or ""


def _ipv4(value: object) -> str:
    if isinstance(value, bytes) and len(value) == 4:
        return ".".join(str(b) for b in value)
    return ""


def _lldp_addresses(tables: Tables) -> dict[str, str]:
    """{"timeMark.port.remIndex": "10.40.1.19"} from lldpRemManAddrTable's index (subtype 1 = IPv4, length 4)."""
    out: dict[str, str] = {}
    for index in tables.get(LLDP_MAN_ADDR, {}):
        parts = index.split(".")
        if len(parts) == 9 and parts[3] == "1" and parts[4] == "4":
            out.setdefault(".".join(parts[:3]), ".".join(parts[5:9]))
    return out


def parse_neighbors(tables: Tables) -> tuple[Neighbor, ...]:
    names = tables.get(IF_NAME, {})
    local_desc = tables.get(LLDP_LOC_PORT_DESC, {})

    def local(port: str) -> str:
        return text(names.get(port)) or text(local_desc.get(port)) or f"port {port}"

    out: list[Neighbor] = []
    addresses = _lldp_addresses(tables)
    chassis = tables.get(LLDP_CHASSIS_ID, {})
    sys_names = tables.get(LLDP_SYS_NAME, {})
    for index in dict.fromkeys([*chassis, *sys_names]):
        parts = index.split(".")
        if len(parts) != 3:
            continue
        subtype = tables.get(LLDP_CHASSIS_SUBTYPE, {}).get(index)
        chassis_id = _mac(chassis.get(index)) if subtype == 4 else _printable(chassis.get(index))
        port_value = tables.get(LLDP_PORT_ID, {}).get(index)
        port = _mac(port_value) if tables.get(LLDP_PORT_SUBTYPE, {}).get(index) == 3 else _printable(port_value)
        port = port or text(tables.get(LLDP_PORT_DESC, {}).get(index)) or ""
        name = text(sys_names.get(index)) or chassis_id
        if not name:
            continue
        out.append(Neighbor("lldp", local(parts[1]), name, port, chassis_id, addresses.get(index, "")))
    for index, device in tables.get(CDP_DEVICE_ID, {}).items():
        parts = index.split(".")
        name = _printable(device)
        if len(parts) != 2 or not name:
            continue
        address = _ipv4(tables.get(CDP_ADDRESS, {}).get(index)) if tables.get(CDP_ADDRESS_TYPE, {}).get(index) == 1 \
            else ""
        out.append(Neighbor("cdp", local(parts[0]), name, text(tables.get(CDP_DEVICE_PORT, {}).get(index)) or "",
                            "", address))
    return tuple(out)


# ---------------------------------------------------------------- neighbours of uplinks between polls

def remember_uplinks(previous: Any, at: float, neighbors: tuple[Neighbor, ...], uplink_ports: tuple[str, ...],
                     forget_s: float) -> dict[str, dict[str, Any]]:
    """The poll-state memory of who sits behind each uplink: {port: {"names": [...], "seen": at}}.

    A port with neighbours now records them; a port without keeps what it had (so a lost
    neighbour stays reported poll after poll) until ``forget_s`` after it was last seen.
    """
    memory: dict[str, dict[str, Any]] = {}
    for port in uplink_ports:
        names = sorted({n.remote_name for n in neighbors if n.local_port == port})
        if names:
            memory[port] = {"names": names, "seen": at}
            continue
        entry = previous.get(port) if isinstance(previous, Mapping) else None
        if _valid(entry) and at - entry["seen"] <= forget_s:
            memory[port] = dict(entry)
    return memory


def lost_on_uplinks(previous: Any, at: float, neighbors: tuple[Neighbor, ...], uplink_ports: tuple[str, ...],
                    forget_s: float) -> tuple[tuple[str, tuple[str, ...], float], ...]:
    """(uplink port, names gone, last seen) for every uplink whose remembered neighbour is not there now."""
    if not isinstance(previous, Mapping):
        return ()
    out = []
    for port in uplink_ports:
        entry = previous.get(port)
        if not _valid(entry) or at - entry["seen"] > forget_s:
            continue
        now = {n.remote_name for n in neighbors if n.local_port == port}
        gone = tuple(name for name in entry["names"] if name not in now)
        if gone and not (now & set(entry["names"])):
            out.append((port, gone, float(entry["seen"])))
    return tuple(out)


def _valid(entry: Any) -> bool:
    return (isinstance(entry, Mapping) and isinstance(entry.get("names"), list)
            and all(isinstance(n, str) for n in entry["names"]) and isinstance(entry.get("seen"), (int, float)))
