"""Against net-snmp's snmpd, a real agent: SNMPv3 authPriv (SHA/AES) through pysnmp, v2c
through the lean codec, both giving the same values; wrong keys fail cleanly."""

from __future__ import annotations

import asyncio
import os

import pytest

from collectors.base import State
from collectors.snmp.client import SnmpError, open_client
from config.checks.switch import SwitchParams
from config.secrets import resolve_secret
from inventory.models import NetworkDevice, SnmpCredentials
from tests.snmp.conftest import V3_AUTH, V3_PRIV, V3_USER, by_key

IF_DESCR, IF_TYPE, HR_STORAGE_DESCR = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.3", "1.3.6.1.2.1.25.2.3.1.3"
SYS_NAME = "1.3.6.1.2.1.1.5.0"


def v3(port: int, *, auth: str = V3_AUTH, priv: str = V3_PRIV) -> SnmpCredentials:
    os.environ["PATROL_TEST_V3_AUTH"], os.environ["PATROL_TEST_V3_PRIV"] = auth, priv
    return SnmpCredentials(version="3", port=port, user=V3_USER, auth_protocol="SHA", auth_key="env:PATROL_TEST_V3_AUTH",
                           priv_protocol="AES", priv_key="env:PATROL_TEST_V3_PRIV", timeout_s=1.0, retries=0)


def v2c(port: int) -> SnmpCredentials:
    os.environ["PATROL_TEST_V2C"] = "public"
    return SnmpCredentials(version="2c", port=port, community="env:PATROL_TEST_V2C", timeout_s=1.0, retries=0)


async def _read(creds: SnmpCredentials, backend: str = "lean") -> tuple[dict, dict]:
    async with open_client("127.0.0.1", creds, resolve_secret, backend=backend) as snmp:
        return await snmp.get([SYS_NAME]), await snmp.walk([IF_DESCR, IF_TYPE, HR_STORAGE_DESCR])


@pytest.mark.parametrize("mode", ["v3-authpriv-sha-aes", "v2c-lean", "v2c-pysnmp"])
def test_same_values_through_every_path(snmpd, mode: str) -> None:
    creds = v3(snmpd.port) if mode.startswith("v3") else v2c(snmpd.port)
    scalars, tables = asyncio.run(_read(creds, "pysnmp" if mode.endswith("pysnmp") else "lean"))
    assert scalars == {SYS_NAME: b"patrol-test-snmpd"}
    assert b"lo" in tables[IF_DESCR].values()
    assert set(tables[IF_DESCR]) == set(tables[IF_TYPE])
    assert b"Physical memory" in tables[HR_STORAGE_DESCR].values()
    reference = asyncio.run(_read(v2c(snmpd.port)))[1]
    assert tables[IF_DESCR] == reference[IF_DESCR] and tables[HR_STORAGE_DESCR] == reference[HR_STORAGE_DESCR]


@pytest.mark.parametrize("auth,priv", [("wrong-auth-key", V3_PRIV), (V3_AUTH, "wrong-priv-key")],
                         ids=["wrong-auth", "wrong-priv"])
def test_wrong_v3_keys_fail_cleanly(snmpd, auth: str, priv: str) -> None:
    with pytest.raises(SnmpError) as err:
        asyncio.run(_read(v3(snmpd.port, auth=auth, priv=priv)))
    assert auth not in str(err.value) and priv not in str(err.value)


def test_switch_check_on_a_real_agent_over_v3(snmpd, poll) -> None:
    target = NetworkDevice(name="linux-router", address="127.0.0.1", snmp=v3(snmpd.port))
    got = by_key(poll(target, params=SwitchParams(response_time_s={"warn": None, "crit": None})))  # shared CPU
    assert got[("switch.reachability", "")].state is State.OK
    assert "profile generic" in got[("switch.reachability", "")].summary
    assert got[("switch.uptime", "")].state is State.OK
    # no switch.cpu: a freshly started snmpd has hrProcessorTable rows but no hrProcessorLoad
    # values until it has sampled a minute of load; an absent column is no result, not an error
    assert not any(check == "switch.cpu" for check, _ in got)
    memory = got[("switch.memory", "Physical memory")]                # hrStorageRam
    assert {m.name for m in memory.metrics} >= {"memory_used_bytes", "memory_total_bytes"}
