"""The switch check says exactly what it said before its speed work (issue 18): every result,
sentence (en, zh-CN), message, details, metric and the poll state, for sequences of polls of
real recordings (first polls, second polls with rates, a port going down, counters wrapping,
a reboot, a lost neighbour, a partial agent, hostile names). See tests/snmp/golden.py."""

from __future__ import annotations

import json

from tests.snmp.golden import GOLDEN, dumps, run_sequences


def test_every_poll_says_what_the_golden_file_says(snmpsim, tmp_path) -> None:
    got = run_sequences(snmpsim.port, tmp_path)
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert list(got) == list(want)
    for key, poll in want.items():
        # compared as lines first: a failure names the poll and shows only the results that differ
        lines = dumps({key: got[key]}).splitlines()
        expected = dumps({key: poll}).splitlines()
        assert [line for line in lines if line not in expected] == [], key
        assert [line for line in expected if line not in lines] == [], key
        assert got[key] == poll, key
