"""Broken and hostile replies become an UNKNOWN result (or a CRIT reachability when the device
is silent) with a clear reason, never a crash or a hang, and never show the community."""

from __future__ import annotations

import pytest

from collectors.base import State
from config.checks.switch import SwitchParams
from tests.snmp.conftest import device
from tests.snmp.hostile import HostileAgent


@pytest.fixture(scope="module")
def hostile():
    agent = HostileAgent().start()
    yield agent
    agent.stop()


SECRET = "S3cr3tC0mm"

CASES = [
    # community mode, expected (check, state), words in the summary
    ("garbage", ("switch", State.UNKNOWN), "not an SNMPv2c message"),
    ("truncated", ("switch", State.UNKNOWN), "malformed SNMP reply"),
    ("silent", ("switch.reachability", State.CRIT), "no SNMP answer"),
    ("wrongid", ("switch.reachability", State.CRIT), "no SNMP answer"),
    ("walksilent", ("switch", State.UNKNOWN), "no SNMP answer"),  # answers GET, then stops mid-poll
    ("wrongtype", ("switch", State.UNKNOWN), "sysUpTime.0 is bytes"),
    ("genErr", ("switch", State.UNKNOWN), "genErr"),
    ("empty", ("switch", State.UNKNOWN), "empty GETBULK response"),
    ("loop", ("switch", State.UNKNOWN), "non-increasing OID"),
    ("endless", ("switch", State.UNKNOWN), "more than 50 rows"),
    ("toobig", ("switch.reachability", State.OK), "answers SNMP"),  # asks again for fewer varbinds
    ("nosuchname", ("switch.reachability", State.OK), "answers SNMP"),  # GET again without sysUpTime.0
]


@pytest.mark.parametrize("mode,expected,words", CASES, ids=[c[0] for c in CASES])
def test_broken_replies(hostile, poll, mode: str, expected: tuple[str, State], words: str) -> None:
    params = SwitchParams(max_rows=50, timeout_s=10, response_time_s={"warn": None, "crit": None})
    results = poll(device(hostile.port, f"{mode}-{SECRET}", timeout_s=0.3, retries=1), params=params)
    first = results[0]
    assert (first.check, first.state) == expected
    assert words in first.summary
    assert all(SECRET not in f"{r.summary} {r.details}" for r in results)


def test_nosuchname_agent_still_gives_the_rest(hostile, poll) -> None:
    """An agent that fails a GET with noSuchName for sysUpTime.0: the object is named, the rest read."""
    got = {(r.check, r.item): r for r in poll(device(hostile.port, f"nosuchname-{SECRET}", timeout_s=0.3))}
    assert got[("switch.uptime", "")].state is State.UNKNOWN
    assert "SNMPv2-MIB::sysUpTime.0" in got[("switch.uptime", "")].summary
    health = got[("switch.health", "")]
    assert health.summary.startswith("not readable: CPU, memory, temperature, fans, power supplies; reads nothing")
    assert "not served by the agent: SNMPv2-MIB::sysUpTime.0" in health.details


def test_silent_device_can_be_unknown_instead(hostile, poll) -> None:
    params = SwitchParams(unreachable="unknown")
    results = poll(device(hostile.port, f"silent-{SECRET}", timeout_s=0.2, retries=0), params=params)
    assert [(r.check, r.state) for r in results] == [("switch.reachability", State.UNKNOWN)]


def test_site_limit_caps_requests_in_flight(hostile) -> None:
    """With a site limit of 2, a third device's request waits for a slot (silent agent: all hang)."""
    import asyncio

    from collectors.snmp.client import DEFAULT_SITE_LIMIT, SnmpTimeout, open_client, set_site_limit, site_limiter
    from config.secrets import resolve_secret

    async def scenario() -> tuple[int, int]:
        clients = [open_client("127.0.0.1", device(hostile.port, f"silent-{i}", timeout_s=0.3, retries=0).snmp,
                               resolve_secret) for i in range(3)]
        tasks = [asyncio.create_task(c.get(["1.3.6.1.2.1.1.3.0"])) for c in clients]
        await asyncio.sleep(0.1)
        sem = site_limiter()
        in_flight, waiting = 2 - sem._value, len(sem._waiters or ())
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            assert isinstance(outcome, SnmpTimeout)
        for c in clients:
            c.close()
        return in_flight, waiting

    set_site_limit(2)
    try:
        assert asyncio.run(scenario()) == (2, 1)
    finally:
        set_site_limit(DEFAULT_SITE_LIMIT)
