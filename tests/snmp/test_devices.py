"""Each profile against the recording of a real device (snmpsim): the right profile, CPU,
memory, sensors, ports and findings. Values are the ones in the recordings (tests/snmp/data,
trimmed from snmpsim-data by make_fixtures.py, and tests/snmp/data/librenms: LibreNMS users'
devices, GPL-3.0 test data, see its README)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

from collectors.base import State
from tests.snmp.conftest import LIBRENMS_DATA, by_key, device


@dataclass(frozen=True)
class Expect:
    profile: str
    counts: dict[str, int]
    values: dict[tuple[str, str], str] = field(default_factory=dict)  # (check, item) -> summary substring
    problems: dict[tuple[str, str], State] = field(default_factory=dict)  # every non-OK result
    health: str = "not readable: nothing"  # the switch.health summary: what it reads, what it cannot
    moving: tuple[str, str] | None = None  # a reading the recording varies (snmpsim variation): state not compared


CASES = {
    "cisco-c3560": Expect("cisco-ios",
                          {"switch.port": 52, "switch.cpu": 1, "switch.memory": 3, "switch.temperature": 1,
                           "switch.fan": 1, "switch.psu": 1},
                          {("switch.cpu", "CPU 1"): "CPU 28%", ("switch.memory", "Processor"): "29% used",
                           ("switch.fan", "Switch#1, Fan#1"): "fan ok"},
                          # ciscoEnvMonTemperatureState = 2 (warning) in the recording
                          {("switch.temperature", "SW#1, Sensor#1, YELLOW"): State.WARN},
                          "reads CPU 1, memory 3, temperature 1, fans 1, power supplies 1"),
    "cisco-n5000": Expect("cisco-nxos",
                          {"switch.port": 32, "switch.cpu": 1, "switch.memory": 1, "switch.temperature": 16,
                           "switch.fan": 6, "switch.psu": 4},
                          {("switch.cpu", "CPU 1"): "CPU 16%", ("switch.memory", "CPU memory 1"): "29% used",
                           ("switch.temperature", "Module-1, Outlet"): "40.0 °C",
                           ("switch.psu", "PowerSupply-1"): "power supply ok"},
                          # entSensorValue 759 with precision 1: above the configured 70 °C warning
                          {("switch.temperature", "temperature 25885"): State.WARN},
                          "reads CPU 1, memory 1, temperature 16, fans 6, power supplies 4"),
    "h3c-comware7": Expect("h3c-comware",
                           {"switch.port": 83, "switch.cpu": 15, "switch.memory": 18, "switch.temperature": 70,
                            "switch.fan": 2, "switch.psu": 12},
                           {("switch.cpu", "Board 0"): "CPU 24%", ("switch.memory", "Master Board 4"): "15% used",
                            ("switch.temperature", "Board 0"): "37.0 °C", ("switch.fan", "Fan 16"): "fan ok"},
                           health="reads CPU 15, memory 18, temperature 70, fans 2, power supplies 12"),
    "h3c-e528": Expect("h3c-comware",  # old firmware: H3C-ENTITY-EXT-MIB under 2011.10
                       {"switch.port": 28, "switch.cpu": 1, "switch.memory": 1, "switch.temperature": 2},
                       {("switch.cpu", "Level 1 Virtual Module #1"): "CPU 49%",
                        ("switch.memory", "Level 1 Virtual Module #1"): "53% used"},
                       # the recording has no fan or supply table, and no ENTITY-STATE-MIB either
                       {("switch.health", ""): State.UNKNOWN},
                       "not readable: fans, power supplies; reads CPU 1, memory 1, temperature 2"),
    "huawei-s5720": Expect("huawei-vrp",
                           {"switch.port": 33, "switch.cpu": 1, "switch.memory": 1, "switch.temperature": 1,
                            "switch.fan": 1, "switch.psu": 2},
                           {("switch.cpu", "MPU Board 0"): "CPU 38%", ("switch.temperature", "MPU Board 0"): "42.0 °C",
                            ("switch.memory", "MPU Board 0"): "7% used",
                            # no hwPwrStatusTable: the "POWER Card" modules with hwEntityOperStatus
                            ("switch.psu", "POWER Card 0/5"): "power supply ok"},
                           health="reads CPU 1, memory 1, temperature 1, fans 1, power supplies 2"),
    "huawei-s12704": Expect("huawei-vrp",
                            {"switch.port": 45, "switch.cpu": 7, "switch.memory": 7, "switch.temperature": 7,
                             "switch.fan": 4, "switch.psu": 2},
                            {("switch.cpu", "MPU Board 5"): "CPU 41%", ("switch.fan", "Fan 30.1"): "fan ok",
                             # no hwPwrStatusTable: ENTITY-MIB's two powerSupply entities, hwEntityOperStatus
                             ("switch.psu", "PWR1"): "power supply ok", ("switch.psu", "PWR2"): "power supply ok"},
                            health="reads CPU 7, memory 7, temperature 7, fans 4, power supplies 2"),
    "ruijie-s5750": Expect("ruijie",  # the recording's only temperature row reads 0 ("number 1:invalid")
                           {"switch.port": 24, "switch.cpu": 1, "switch.memory": 1},
                           # the 5-second window (27%), not the 5-minute one (37%)
                           {("switch.cpu", "CPU"): "CPU 27%", ("switch.memory", "memory"): "50% used"},
                           {("switch.health", ""): State.UNKNOWN},
                           "not readable: temperature, fans, power supplies; reads CPU 1, memory 1"),
    "juniper-mx960": Expect("juniper",
                            # 2 routing engines + 4 FPCs; 24 fans (the two fan trays are containers)
                            {"switch.port": 65, "switch.cpu": 6, "switch.memory": 6, "switch.temperature": 39,
                             "switch.fan": 24, "switch.psu": 4},
                            {("switch.cpu", "Routing Engine 0"): "CPU 18%",
                             ("switch.memory", "Routing Engine 0"): "12% used", ("switch.psu", "PEM 0"): "ok",
                             ("switch.cpu", "FPC: MPC Type 2 3D @ 3/*/*"): "CPU 26%",
                             ("switch.fan", "Top Tray Fan 1"): "fan ok"},
                            health="reads CPU 6, memory 6, temperature 39, fans 24, power supplies 4"),
    "arista-7150s": Expect("arista",
                           {"switch.port": 54, "switch.cpu": 3, "switch.memory": 1, "switch.temperature": 17,
                            "switch.fan": 6, "switch.psu": 2},
                           {("switch.memory", "RAM"): "79% used", ("switch.temperature", "Cpu temp sensor"): "28.2 °C",
                            ("switch.psu", "PowerSupply1"): "ok"},
                           # entPhySensorOperStatus = unavailable(2) for every fan sensor in the recording
                           {("switch.fan", f"{tray} Fan 1 Sensor 1"): State.UNKNOWN
                            for tray in ("Fan Tray 1", "Fan Tray 2", "Fan Tray 3", "Fan Tray 4",
                                         "PowerSupply1", "PowerSupply2")},
                           "reads CPU 3, memory 1, temperature 17, fans 6, power supplies 2"),
    "ruijie-n18010": Expect("ruijie",
                            # supplies 5-10 and 15-20 are ruijieSystemElectricalSourceIsNormal 1 (noexist)
                            {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 14, "switch.fan": 36,
                             "switch.psu": 8},
                            {("switch.cpu", "CPU"): "CPU 23%", ("switch.fan", "fan36"): "fan ok",
                             ("switch.psu", "Power supply 14"): "power supply ok"},
                            # its lldpRemTable rows come out of order (as recorded): neighbours named
                            # not readable, every health reading still taken
                            {("switch.neighbors", ""): State.UNKNOWN},
                            "reads CPU 1, memory 1, temperature 14, fans 36, power supplies 8; "
                            "12 not fitted (Power supply 5, Power supply 6, Power supply 7, …)"),
    # hpSwitchCpuStat 97: the busy switch the generic profile let pass silently
    "hp-procurve-6120xg": Expect("hp-procurve",
                                 {"switch.cpu": 1, "switch.memory": 1, "switch.fan": 1, "switch.psu": 2},
                                 {("switch.cpu", "CPU"): "CPU 97%", ("switch.memory", "Memory slot 1"): "8% used",
                                  ("switch.psu", "Power Supply 2 Sensor"): "power supply ok",
                                  ("switch.fan", "Fan Sensor"): "fan ok"},
                                 {("switch.cpu", "CPU"): State.CRIT, ("switch.health", ""): State.UNKNOWN},
                                 "not readable: temperature; reads CPU 1, memory 1, fans 1, power supplies 2"),
    "brocade-icx6430": Expect("brocade-fastiron",
                              {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 2, "switch.psu": 1},
                              {("switch.cpu", "CPU"): "CPU 1%", ("switch.memory", "Dynamic memory"): "59% used",
                               # snAgentTempValue 98 = 49 degrees (half-degree units)
                               ("switch.temperature", "Management module: CPU temperature"): "49.0 °C"},
                              {("switch.health", ""): State.UNKNOWN},
                              "not readable: fans; reads CPU 1, memory 1, temperature 2, power supplies 1"),
    "dlink-des3028": Expect("dlink",
                            {"switch.cpu": 1, "switch.memory": 0},
                            {("switch.cpu", "CPU"): "CPU 26%"},  # agentCPUutilizationIn1min (5 s: 91, 5 min: 6)
                            {("switch.health", ""): State.UNKNOWN},
                            "not readable: memory, temperature, fans, power supplies; reads CPU 1"),
    "dlink-des3200": Expect("dlink",  # its 1-minute CPU is a snmpsim variation (moves): counted, not compared
                            {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 1, "switch.psu": 1},
                            {("switch.memory", "DRAM"): "88% used", ("switch.temperature", "Temperature unit 1"):
                             "53.0 °C", ("switch.psu", "PSU 1.1"): "power supply ok"},  # PSU 1.2: status 0, absent
                            {("switch.memory", "DRAM"): State.WARN, ("switch.health", ""): State.UNKNOWN},
                            "not readable: fans; reads CPU 1, memory 1, temperature 1, power supplies 1; "
                            "1 not fitted (PSU 1.2)",
                            moving=("switch.cpu", "CPU")),
    # fgHwSensorTable: FAN1-FAN6 and two fans in each supply, "PS1/PS2 Status", "PS1/PS2 Temp"
    "fortinet-fortigate": Expect("fortinet",
                                 {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 2, "switch.fan": 10,
                                  "switch.psu": 2},
                                 {("switch.cpu", "CPU"): "CPU 5%", ("switch.memory", "Memory"): "19% used",
                                  ("switch.temperature", "PS1 Temp"): "33.0 °C", ("switch.fan", "FAN1"): "fan ok",
                                  ("switch.psu", "PS2 Status"): "power supply ok"},
                                 {},
                                 "reads CPU 1, memory 1, temperature 2, fans 10, power supplies 2"),
    "dcn-dcrs5980": Expect("dcn",
                           {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 1, "switch.fan": 4},
                           # switchMemoryBusy 168411136 of switchMemorySize 536870912
                           {("switch.cpu", "CPU"): "CPU 19%", ("switch.memory", "Memory"): "31% used",
                            ("switch.temperature", "Switch"): "34.0 °C", ("switch.fan", "Fan 4"): "fan ok"},
                           {("switch.health", ""): State.UNKNOWN},  # no priPowerTable in the recording
                           "not readable: power supplies; reads CPU 1, memory 1, temperature 1, fans 4"),
    # no vendor profile: everything from the standard MIBs
    "paloalto-pa5000": Expect("generic",
                              {"switch.cpu": 2, "switch.memory": 1, "switch.temperature": 4, "switch.fan": 10},
                              {("switch.cpu", "CPU 1"): "CPU 16%", ("switch.fan", "Fan #10 RPM"): "fan ok",
                               ("switch.memory", "Slot-0 Management Memory"): "69% used"},
                              {("switch.health", ""): State.UNKNOWN},
                              "not readable: power supplies; reads CPU 2, memory 1, temperature 4, fans 10"),
    "zte-zxr10-5250": Expect("zte-zxr10",  # switchSystem under series 30, percentages as text ("9.4")
                             {"switch.port": 52, "switch.cpu": 1, "switch.memory": 1},
                             {("switch.cpu", "CPU"): "CPU 9%", ("switch.memory", "Memory"): "82% used"},
                             {("switch.health", ""): State.UNKNOWN},
                             "not readable: temperature, fans, power supplies; reads CPU 1, memory 1"),
    "bdcom-s5612": Expect("bdcom",  # nmscardTemperature 0: the card has no sensor
                          {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 0},
                          {("switch.cpu", "S5612 mother card"): "CPU 75%",
                           ("switch.memory", "S5612 mother card"): "15% used"},
                          {("switch.health", ""): State.UNKNOWN},
                          "not readable: temperature, fans, power supplies; reads CPU 1, memory 1"),
    # net-snmp's "Physical memory" counts buffers and page cache as used (94%); without the
    # "Memory buffers" and "Cached memory" rows it lists, 31% is in use: no false WARN
    "vyatta": Expect("generic",
                     {"switch.cpu": 4, "switch.memory": 1},
                     {("switch.cpu", "CPU 770"): "CPU 100%", ("switch.memory", "Physical memory"): "31% used"},
                     {("switch.cpu", "CPU 770"): State.CRIT, ("switch.cpu", "CPU 771"): State.CRIT,
                      ("switch.health", ""): State.UNKNOWN},
                     "not readable: temperature, fans, power supplies; reads CPU 4, memory 1"),
}


# LibreNMS's recordings of users' devices (data/librenms: excerpts read through the search
# index, see its SOURCES.md): the walks the index serves whole enough for a profile.
_NO_UPTIME = ("switch.uptime", "")  # agents recorded without sysUpTime.0: switch.uptime is UNKNOWN
LIBRENMS_CASES = {
    # arubaWiredTempSensorTemperature in millidegrees; CPU from hrProcessorLoad and fans from
    # ENTITY-SENSOR rpm sensors (the standard-MIB fallbacks); hrStorage has no type column: no memory
    "arubaos-cx_10.16": Expect("aruba-aoscx",
                               {"switch.cpu": 4, "switch.temperature": 11, "switch.fan": 4, "switch.psu": 2},
                               {("switch.cpu", "CPU 196610"): "CPU 11%", ("switch.temperature", "1/1-DDR"): "43.1 °C",
                                ("switch.fan", "RPM sensor for fan Tray-1/2/2"): "fan ok",
                                ("switch.psu", "1/2"): "power supply ok"},
                               {("switch.health", ""): State.UNKNOWN, _NO_UPTIME: State.UNKNOWN},
                               "not readable: memory; reads CPU 4, temperature 11, fans 4, power supplies 2"),
    "jetstream_t1600g-28ts": Expect("tplink-jetstream",  # tpSysMonitorCpu5Seconds 90
                                    {"switch.cpu": 1, "switch.memory": 1},
                                    {("switch.cpu", "CPU unit 1"): "CPU 90%", ("switch.memory", "Memory unit 1"):
                                     "75% used"},
                                    {("switch.cpu", "CPU unit 1"): State.WARN, ("switch.health", ""): State.UNKNOWN},
                                    "not readable: temperature, fans, power supplies; reads CPU 1, memory 1"),
    "jetstream_t2600g-28ts": Expect("tplink-jetstream", {"switch.cpu": 1, "switch.memory": 1},
                                    {("switch.cpu", "CPU unit 1"): "CPU 27%"},
                                    {("switch.health", ""): State.UNKNOWN},
                                    "not readable: temperature, fans, power supplies; reads CPU 1, memory 1"),
    # agentSwitchCpuProcessTotalUtilization "5 Secs ( 96.4918%)   60 Secs ( 54.2271%) ...": the 5 s window
    "edgeswitch": Expect("ubiquiti-edgeswitch", {"switch.cpu": 1, "switch.temperature": 4},
                         {("switch.cpu", "CPU"): "CPU 96%", ("switch.temperature", "Temperature 1.0"): "70.0 °C"},
                         {("switch.cpu", "CPU"): State.CRIT, ("switch.temperature", "Temperature 1.0"): State.WARN,
                          ("switch.health", ""): State.UNKNOWN},
                         "not readable: memory, fans, power supplies; reads CPU 1, temperature 4"),
    "bdcom": Expect("bdcom",  # GP3600-16B OLT: FanTable row 0 is a fan, not a scalar
                    {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 1, "switch.fan": 9, "switch.psu": 1},
                    {("switch.temperature", "GP3600-16B mother card"): "33.0 °C", ("switch.fan", "Fan 0"): "fan ok",
                     ("switch.psu", "Power"): "power supply ok"},
                    health="reads CPU 1, memory 1, temperature 1, fans 9, power supplies 1"),
    # no gauge table in this version: mtxrHlProcessorTemperature (tenths), mtxrHlFanSpeed1/2 (rpm:
    # a turning fan is ok), PSU BoolValue scalars
    "routeros_crs317": Expect("mikrotik-routeros",
                              {"switch.cpu": 2, "switch.memory": 1, "switch.temperature": 1, "switch.fan": 2,
                               "switch.psu": 2},
                              {("switch.memory", "main memory"): "5% used", ("switch.psu", "Backup PSU"): "power supply ok",
                               ("switch.temperature", "Processor temperature"): "44.0 °C",
                               ("switch.fan", "Fan 2"): "fan ok"},
                              health="reads CPU 2, memory 1, temperature 1, fans 2, power supplies 2"),
    "dnos": Expect("dell-dnos9",  # the index's version of the S4048-ON walk: memory and temperature rows only
                   {"switch.cpu": 0, "switch.memory": 1, "switch.temperature": 1},
                   {("switch.memory", "Memory 2.1.1"): "30% used", ("switch.temperature", "Stack unit 1"): "62.0 °C"},
                   {("switch.health", ""): State.UNKNOWN},
                   "not readable: CPU, fans, power supplies; reads memory 1, temperature 1"),
    # PSU 1 and Fan 1: os10...OperStatus notPresent(6), named as not fitted (information, not a
    # fault); the 4 fan trays have a status of their own (os10FanTrayOperStatus)
    "dell-os10_s4128ton-psu": Expect("dell-os10",
                                     {"switch.temperature": 2, "switch.fan": 9, "switch.psu": 1},
                                     {("switch.psu", "PSU 2"): "power supply ok", ("switch.fan", "Fan tray 4"): "ok"},
                                     {("switch.health", ""): State.UNKNOWN},
                                     "not readable: CPU, memory; reads temperature 2, fans 9, power supplies 1; "
                                     "2 not fitted (Fan 1, PSU 1)"),
    "powerconnect_2824": Expect("dell-powerconnect",  # only rlCpuUtilDuringLastSecond is served: the fallback
                                {"switch.cpu": 1}, {("switch.cpu", "CPU"): "CPU 89%"},
                                {("switch.cpu", "CPU"): State.WARN, ("switch.health", ""): State.UNKNOWN},
                                "not readable: memory, temperature, fans, power supplies; reads CPU 1"),
    "netgear_3": Expect("netgear", {"switch.temperature": 1, "switch.psu": 1},
                        {("switch.temperature", "Temperature 1.0"): "47.0 °C", ("switch.psu", "PSU"): "ok"},
                        {("switch.health", ""): State.UNKNOWN},
                        "not readable: CPU, memory, fans; reads temperature 1, power supplies 1"),
    "routeros": Expect("mikrotik-routeros",  # mtxrHlTemperature 330 = 33.0 degrees (no gauge table)
                       {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 1},
                       {("switch.cpu", "CPU 1"): "CPU 21%", ("switch.memory", "main memory"): "41% used",
                        ("switch.temperature", "Temperature"): "33.0 °C"},
                       {("switch.health", ""): State.UNKNOWN},
                       "not readable: fans, power supplies; reads CPU 1, memory 1, temperature 1"),
    # OS10 S4128F: CPU and memory from HOST-RESOURCES-MIB (Physical memory less buffers and cache:
    # 41%, as LibreNMS), 6 fans, 4 trays and 2 supplies from DELLEMC-OS10-CHASSIS-MIB
    "dell-os10": Expect("dell-os10",
                        {"switch.cpu": 2, "switch.memory": 1, "switch.temperature": 2, "switch.fan": 10,
                         "switch.psu": 2},
                        {("switch.cpu", "CPU 196608"): "CPU 30%", ("switch.memory", "Physical memory"): "41% used",
                         ("switch.temperature", "Chassis 1"): "37.0 °C", ("switch.fan", "Fan tray 1"): "fan ok"},
                        health="reads CPU 2, memory 1, temperature 2, fans 10, power supplies 2"),
    # Maipu MyPower S3220 (a LibreNMS walk, from a GPL-3.0 fork of LibreNMS the index serves):
    # cpuUtilCurrentUtil, numBytesAlloc of memoryTotalBytes; no sysTemperature objects served
    "mypoweros": Expect("maipu", {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 0},
                        {("switch.cpu", "CPU 1"): "CPU 37%", ("switch.memory", "Memory"): "56% used"},
                        {("switch.health", ""): State.UNKNOWN, _NO_UPTIME: State.UNKNOWN},
                        "not readable: temperature, fans, power supplies; reads CPU 1, memory 1"),
    "stoneos": Expect("hillstone",  # sysObjectID recorded with a leading dot
                      {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 5, "switch.psu": 2},
                      {("switch.cpu", "CPU"): "CPU 55%", ("switch.memory", "Memory"): "17% used",
                       ("switch.temperature", "Switch"): "68.0 °C", ("switch.psu", "PS1"): "power supply ok"},
                      {("switch.health", ""): State.UNKNOWN},
                      "not readable: fans; reads CPU 1, memory 1, temperature 5, power supplies 2"),
    # mainstream vendors (issue 14b): LibreNMS's readings of the same walks are compared in test_librenms.py
    "fortigate_1500d-sensors": Expect("fortinet",  # fgHwSensorTable by name; no fgSysMemUsage in the walk
                                      {"switch.cpu": 1, "switch.temperature": 2, "switch.fan": 8, "switch.psu": 2},
                                      {("switch.cpu", "CPU"): "CPU 6%", ("switch.temperature", "PS2 Temp"): "25.0 °C",
                                       ("switch.fan", "PS1 Fan 1"): "fan ok", ("switch.psu", "PS1 Status"):
                                       "power supply ok"},
                                      {("switch.health", ""): State.UNKNOWN},
                                      "not readable: memory; reads CPU 1, temperature 2, fans 8, power supplies 2"),
    "junos": Expect("juniper",  # EX4200 virtual chassis: two routing engines and two FPCs
                    {"switch.cpu": 4, "switch.memory": 4, "switch.temperature": 4, "switch.fan": 6, "switch.psu": 2},
                    {("switch.cpu", "Routing Engine 1"): "CPU 4%", ("switch.memory", "FPC: EX4200-24T, 8 POE @ 0/*/*"):
                     "51% used", ("switch.temperature", "Routing Engine 1"): "35.0 °C",
                     ("switch.fan", "FAN: Fan 3 @ 1/0/2"): "fan ok"},
                    {}, "reads CPU 4, memory 4, temperature 4, fans 6, power supplies 2"),
    # "HP Stack" (sysObjectID 11.2.3.7.8.5.2): per-fan and per-supply tables, supply temperatures,
    # and the two ENTITY-SENSOR chassis sensors the walk serves
    "procurve": Expect("hp-procurve",
                       {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 4, "switch.fan": 6, "switch.psu": 2},
                       {("switch.cpu", "CPU"): "CPU 42%", ("switch.memory", "Memory slot 1"): "15% used",
                        ("switch.temperature", "Power Supply 2"): "29.0 °C", ("switch.temperature",
                        "Chassis Temperature"): "20.0 °C", ("switch.fan", "Fan 6"): "fan ok",
                        ("switch.psu", "Power Supply 1"): "power supply ok"},
                       {}, "reads CPU 1, memory 1, temperature 4, fans 6, power supplies 2"),
    "ios_2960x": Expect("cisco-ios",  # a stack of three Catalyst 2960-X: one CPU, three pools, an EnvMon row per member
                        {"switch.cpu": 1, "switch.memory": 3, "switch.temperature": 3, "switch.fan": 3, "switch.psu": 3},
                        {("switch.cpu", "CPU 1"): "CPU 53%", ("switch.memory", "I/O"): "75% used",
                         ("switch.temperature", "SW#1, Sensor#1, GREEN"): "44.0 °C",
                         ("switch.fan", "Switch#3, Fan#1"): "fan ok",
                         ("switch.psu", "Sw2, PS1 Normal, RPS NotExist"): "power supply ok"},
                        {}, "reads CPU 1, memory 3, temperature 3, fans 3, power supplies 3"),
    # NetIron CER: no global CPU/memory scalars, so the per-slot tables; supply 2 has failed
    "ironware": Expect("brocade-fastiron",
                       {"switch.cpu": 3, "switch.memory": 3, "switch.temperature": 16, "switch.fan": 6, "switch.psu": 2},
                       {("switch.cpu", "CPU slot 1.1.60"): "CPU 1%", ("switch.memory", "4x10G Ports Virtual Module"):
                        "51% used", ("switch.temperature", "Management module: CPU temperature"): "41.5 °C",
                        ("switch.psu", "Power Supply 1"): "power supply ok"},
                       {("switch.psu", "Power Supply 2"): State.CRIT},
                       "reads CPU 3, memory 3, temperature 16, fans 6, power supplies 2"),
    # S5720: hwEntityStateTable of the MPU (the excerpt keeps its CPU, memory and temperature
    # columns only; the optic temperatures LibreNMS also lists are port data)
    "vrp_5720": Expect("huawei-vrp", {"switch.cpu": 1, "switch.memory": 1, "switch.temperature": 1},
                       {("switch.cpu", "MPU Board 0"): "CPU 44%", ("switch.memory", "MPU Board 0"): "9% used",
                        ("switch.temperature", "MPU Board 0"): "42.0 °C"},
                       {("switch.health", ""): State.UNKNOWN},
                       "not readable: fans, power supplies; reads CPU 1, memory 1, temperature 1"),
    # Nexus 5000: LibreNMS's nxos walk is four lines (system group and cpmCPUMemoryUsed/Free of
    # one CPU); 4312612 KiB used of 16009136 KiB is 27 %, as LibreNMS reads it
    "nxos": Expect("cisco-nxos", {"switch.memory": 1},
                   {("switch.memory", "CPU memory 1"): "27% used"},
                   {("switch.health", ""): State.UNKNOWN, _NO_UPTIME: State.UNKNOWN},
                   "not readable: CPU, temperature, fans, power supplies; reads memory 1"),
}


def _check(results: list, expect: Expect) -> None:
    got = by_key(results)
    reach = got[("switch.reachability", "")]
    assert reach.state is State.OK and f"profile {expect.profile}" in reach.summary
    counts = Counter(r.check for r in results)
    assert {k: counts.get(k, 0) for k in expect.counts} == expect.counts
    assert counts["switch.uptime"] == 1
    for key, text in expect.values.items():
        assert text in got[key].summary, (key, got[key].summary)
    # what it reads and cannot read; objects the agent lacks (port counters, sysUpTime.0) follow
    assert got[("switch.health", "")].summary.split("; agent lacks ")[0] == expect.health
    problems = {r.key()[1:]: r.state for r in results if r.state is not State.OK and r.key()[1:] != expect.moving}
    assert problems == {(c, i): s for (c, i), s in expect.problems.items()}


@pytest.mark.parametrize("community", list(CASES))
def test_profile_against_recording(snmpsim, poll, community: str) -> None:
    _check(poll(device(snmpsim.port, community)), CASES[community])


@pytest.mark.parametrize("community", list(LIBRENMS_CASES))
def test_profile_against_librenms_recording(snmpsim_librenms, poll, community: str) -> None:
    _check(poll(device(snmpsim_librenms.port, community)), LIBRENMS_CASES[community])


def test_every_librenms_recording_has_a_case() -> None:
    assert sorted(LIBRENMS_CASES) == sorted(p.stem for p in LIBRENMS_DATA.glob("*.snmprec"))


def test_the_console_ports_grid_reads_admin_and_oper_from_a_real_switch(snmpsim, poll) -> None:
    """The console's ports grid (agent/serve/console/device.py) colours a port by the admin
    and oper words the switch family writes into its details; on a real recording every
    reported port has both, and the colour follows ifOperStatus."""
    from agent.serve.console import device as console_device

    results = poll(device(snmpsim.port, "cisco-c3560"))
    cells = console_device.ports(results)
    assert len(cells) == 52
    assert all(c.admin != "?" and c.oper != "?" for c in cells)
    summaries = {r.item: r.summary for r in results if r.check == "switch.port"}
    for cell in cells:
        assert (cell.css == "port-up") == summaries[cell.name].startswith("up"), (cell, summaries[cell.name])
    assert {c.css for c in cells} >= {"port-up", "port-down"}
