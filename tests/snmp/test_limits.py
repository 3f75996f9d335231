"""Bounded under hostile agents: a device's poll receives at most DEFAULT_MAX_BYTES, and a
malformed OID is a decode error, never a Python exception from the number it spells."""

from __future__ import annotations

import resource

import pytest

from collectors.base import State
from collectors.snmp import ber
from collectors.snmp.client import DEFAULT_MAX_BYTES
from tests.snmp.conftest import device
from tests.snmp.hostile import HostileAgent


def test_an_agent_sending_60_kb_rows_is_stopped_at_the_byte_cap(poll):
    agent = HostileAgent().start()
    try:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        results = poll(device(agent.port, "fat-S3cr3t", timeout_s=1.0, retries=0))
        grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    finally:
        agent.stop()
    unknown = [r for r in results if r.state is State.UNKNOWN]
    assert unknown and f"more than {DEFAULT_MAX_BYTES // 2**20} MiB of SNMP data" in unknown[0].summary
    assert "S3cr3t" not in " ".join(r.summary + r.details for r in results)
    assert grown_mib < 200  # 1.36 GB before the cap (the 20,000-row limit alone allows 1.2 GB)


@pytest.mark.parametrize("content, error", [
    (bytes([0xFF] * 2100 + [0x01]), "longer than 5 octets"),  # ~2,100-byte sub-identifier
    (bytes([0x90, 0x80, 0x80, 0x80, 0x80, 0x00]), "longer than 5 octets"),
    (b"\x2b\x06\x80", "truncated"),
])
def test_malformed_oid_is_a_decode_error(content, error):
    with pytest.raises(ber.BerError, match=error):
        ber.decode_oid(content)


def test_largest_sub_identifier_still_decodes():
    assert ber.decode_oid(b"\x2b" + bytes([0x8F, 0xFF, 0xFF, 0xFF, 0x7F])) == "1.3.4294967295"
