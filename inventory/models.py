"""The inventory of a site: hosts, network devices and printers, resolved and frozen.

Groups and defaults are merged into each target once, at load time (target -> its
groups in the order listed -> defaults), so a collector reads plain fields and never
resolves inheritance itself.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from datetime import date
from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from config.checks.base import Strict
from config.secrets import Secret

_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_address(value: str) -> str:
    """An IPv4/IPv6 address or an RFC 1123 host name; raises ValueError otherwise."""
    value = value.strip()
    # Most addresses are IPv4 already written canonically: the C parser confirms one in a
    # fraction of ipaddress's time (a 40,000-target inventory spent 0.4 s here). Anything it
    # would print differently (leading zeros, short forms) takes the strict path below.
    try:
        if socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, value)) == value:
            return value
    except OSError:
        pass
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    labels = value.rstrip(".").split(".")
    if len(value) > 253 or not all(_HOSTNAME_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(f"{value!r} is neither an IP address nor a valid host name")
    return value


Criticality = Literal["low", "normal", "high", "critical"]


class SnmpCredentials(Strict):
    """Read-only SNMP access. v2c needs ``community``; v3 needs ``user`` and, for authPriv, keys."""

    version: Literal["2c", "3"] = "2c"
    port: Annotated[int, Field(gt=0, lt=65536)] = 161
    timeout_s: Annotated[float, Field(gt=0)] = 2.0
    retries: Annotated[int, Field(ge=0, le=5)] = 1
    community: Secret | None = None
    user: str | None = None
    auth_protocol: Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"] | None = None
    auth_key: Secret | None = None
    priv_protocol: Annotated[Literal["DES", "AES", "AES192", "AES256", "AES192C", "AES256C"] | None, Field(
        description="AES192/AES256: Blumenthal key extension (net-snmp's AES192/AES256); "
                    "AES192C/AES256C: Reeder key extension (Cisco and most vendors; net-snmp's AES192C/AES256C)")] = None
    priv_key: Secret | None = None
    context: str = ""
    backend: Annotated[Literal["lean", "pysnmp"], Field(
        description="lean: Patrol's own codec (v2c and v3); pysnmp: the stock pysnmp 7 engine, about 20x the CPU")] = "lean"

    @model_validator(mode="after")
    def _complete(self) -> "SnmpCredentials":
        if self.version == "2c" and self.community is None:
            raise ValueError("SNMP v2c needs 'community' (a secret reference such as env:SNMP_COMMUNITY)")
        if self.version == "3":
            if not self.user:
                raise ValueError("SNMP v3 needs 'user'")
            if (self.auth_protocol is None) != (self.auth_key is None):
                raise ValueError("SNMP v3: give both auth_protocol and auth_key, or neither")
            if (self.priv_protocol is None) != (self.priv_key is None):
                raise ValueError("SNMP v3: give both priv_protocol and priv_key, or neither")
            if self.priv_protocol is not None and self.auth_protocol is None:
                raise ValueError("SNMP v3: privacy (priv_*) needs authentication (auth_*) too")
        return self


class CliCredentials(Strict):
    """SSH access for configuration backup (netmiko)."""

    username: str
    password: Secret
    enable_secret: Secret | None = None
    port: Annotated[int, Field(gt=0, lt=65536)] = 22
    timeout_s: Annotated[float, Field(gt=0)] = 20.0


class AssetInfo(Strict):
    """The asset archive fields (设备档案) an engineer keeps by hand.

    Where the asset archive also captures a value (maker, model, serial), the typed-in one
    wins and the difference is shown as a conflict (agent/assets/join.py)."""

    number: str | None = None
    label: str | None = None
    user: str | None = None
    location: str | None = None
    supplier: str | None = None
    maker: str | None = None
    model: str | None = None
    serial: str | None = None
    purchase_date: date | None = None
    warranty_end: date | None = None
    notes: str | None = None


class TargetBase(Strict):
    name: str
    address: str = "127.0.0.1"
    groups: tuple[str, ...] = ()
    criticality: Criticality = "normal"
    depends_on: Annotated[tuple[str, ...], Field(description="targets this one is reached through (switch, uplink)")] = ()
    asset: AssetInfo = AssetInfo()
    # A factory, not a {} default: pydantic deep-copies a mutable default for every target.
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a valid name: letters, digits, '.', '_' and '-', starting with a letter or digit")
        return value

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        return check_address(value)


class Host(TargetBase):
    """A managed PC or server (an endpoint)."""

    kind: Literal["host"] = "host"
    os: Literal["windows", "linux", "other"] | None = None
    # True for the machine the agent runs on: endpoint checks run only there.
    local: bool = False


class NetworkDevice(TargetBase):
    """A switch, router or firewall."""

    kind: Literal["network_device"] = "network_device"
    platform: Annotated[str | None, Field(description="netmiko device_type, e.g. cisco_ios, hp_comware, huawei")] = None
    snmp: SnmpCredentials | None = None
    snmp_profile: Annotated[str | None, Field(description="force a profile instead of detecting it by sysObjectID")] = None
    cli: CliCredentials | None = None
    uplinks: Annotated[tuple[str, ...], Field(description="important ports (ifName or ifDescr): down is CRIT")] = ()


class Printer(TargetBase):
    """A network printer polled over SNMP."""

    kind: Literal["printer"] = "printer"
    snmp: SnmpCredentials | None = None


Target = Annotated[Union[Host, NetworkDevice, Printer], Field(discriminator="kind")]


class Site(Strict):
    name: str = "default"
    customer: str | None = None
    address: str | None = None
    contract_end: date | None = None
    contacts: tuple[str, ...] = ()


class Inventory(Strict):
    """A resolved inventory; ``local`` is this computer (always present)."""

    site: Site = Site()
    hosts: tuple[Host, ...] = ()
    network_devices: tuple[NetworkDevice, ...] = ()
    printers: tuple[Printer, ...] = ()

    @property
    def targets(self) -> tuple[Host | NetworkDevice | Printer, ...]:
        return (*self.hosts, *self.network_devices, *self.printers)

    @property
    def local(self) -> Host:
        for host in self.hosts:
            if host.local:
                return host
        raise LookupError("the inventory has no local host")  # the loader always adds one

    def get(self, name: str) -> Host | NetworkDevice | Printer:
        for target in self.targets:
            if target.name == name:
                return target
        raise KeyError(name)

    def dependents_of(self, name: str) -> tuple[str, ...]:
        """Targets that depend on ``name``, directly or through others."""
        children: dict[str, list[str]] = {}
        for target in self.targets:
            for parent in target.depends_on:
                children.setdefault(parent, []).append(target.name)
        out: dict[str, None] = {}  # ordered and O(1) membership: chains of thousands stay linear
        stack = list(children.get(name, ()))
        while stack:
            child = stack.pop()
            if child not in out and child != name:
                out[child] = None
                stack.extend(children.get(child, ()))
        return tuple(out)
