"""Settings of the switch family: switch and router health over SNMP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from config.checks.base import CheckParams, WarnCrit

# ifType values of ports worth a result (IANAifType-MIB): ethernetCsmacd, fastEther,
# fastEtherFX, gigabitEthernet, ieee8023adLag.
DEFAULT_PORT_TYPES = (6, 62, 69, 117, 161)


class SwitchParams(CheckParams):
    """Settings under ``checks.switch``. Targets are inventory network devices with ``snmp``."""

    site_concurrency: Annotated[int, Field(ge=1, le=4096, description=(
        "SNMP requests in flight at once across the whole site (all devices)"))] = 64
    bulk_varbinds: Annotated[int, Field(ge=1, le=1000, description=(
        "varbinds asked for per GETBULK exchange (agents with small PDU limits answer with fewer)"))] = 60
    max_rows: Annotated[int, Field(ge=10, description=(
        "rows per column after which a walk is called endless (looping agent)"))] = 20_000
    profiles_dir: Annotated[Path | None, Field(description=(
        "folder of extra/overriding device profiles (*.yaml); the built-in ones are used when unset"))] = None
    port_types: Annotated[tuple[int, ...], Field(description=(
        "ifType values of ports that get a result (IANAifType: 6 ethernetCsmacd, 117 gigabitEthernet, 161 LAG)"))] = DEFAULT_PORT_TYPES
    port_went_down: Annotated[Literal["ok", "warn", "crit"], Field(description=(
        "state of a non-uplink port that was up at the last poll and is down now"))] = "warn"
    uplink_down: Annotated[Literal["warn", "crit"], Field(description="state of an inventory uplink that is down")] = "crit"
    unreachable: Annotated[Literal["warn", "crit", "unknown"], Field(description=(
        "state of switch.reachability when the device does not answer SNMP at all"))] = "crit"
    response_time_s: WarnCrit = Field(WarnCrit(warn=1.0, crit=3.0), description="first answer's round trip, seconds")
    reboot_hold_s: Annotated[float, Field(ge=0, description=(
        "how long after a detected reboot switch.uptime stays WARN (so a finding can open)"))] = 3600
    not_readable: Annotated[Literal["ok", "warn", "unknown"], Field(description=(
        "state of switch.health when the device gives no CPU, memory, temperature, fan or power-supply "
        "reading (ok for fanless gear you accept as it is)"))] = "unknown"
    neighbors: Annotated[bool, Field(description=(
        "walk LLDP-MIB and CISCO-CDP-MIB neighbours (switch.neighbors, the topology map)"))] = True
    neighbor_lost: Annotated[Literal["ok", "warn", "crit"], Field(description=(
        "state of switch.neighbor when the neighbour last seen behind an inventory uplink is gone"))] = "warn"
    neighbor_forget_s: Annotated[float, Field(ge=0, description=(
        "how long a gone uplink neighbour keeps being reported, seconds"))] = 7 * 86400
    cpu_percent: WarnCrit = Field(WarnCrit(warn=80, crit=95), description="CPU load, percent")
    memory_percent: WarnCrit = Field(WarnCrit(warn=85, crit=95), description="memory used, percent")
    temperature_c: WarnCrit = Field(WarnCrit(warn=70, crit=85), description=(
        "temperature, celsius (the device's own thresholds and state win when it reports them)"))
    utilization_percent: WarnCrit = Field(WarnCrit(warn=80, crit=95), description=(
        "port utilization in or out against ifHighSpeed, percent"))
    errors_per_s: WarnCrit = Field(WarnCrit(warn=1.0, crit=10.0), description=(
        "port in+out errors per second over the poll interval"))
    discards_per_s: WarnCrit = Field(WarnCrit(warn=10.0, crit=None), description=(
        "port in+out discards per second over the poll interval"))
