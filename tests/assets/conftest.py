"""snmpsim serving the trimmed real device and printer walks in snmp/ on a
loopback UDP port; community = file name. Stopped by its own PID. The archive tests use
tests/core's session PostgreSQL server (``postgres_url``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.core.conftest import postgres_url  # noqa: F401  (a fixture, used by name)
from tests.snmp.conftest import recordings_in, serve, snmp_answers
from tests.support.proc import wait_until

SNMP_DATA = Path(__file__).parent / "snmp"


@dataclass(frozen=True)
class Sim:
    port: int
    communities: tuple[str, ...]


@pytest.fixture(scope="session")
def asset_snmpsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    recordings = recordings_in(SNMP_DATA)
    agent = serve(tmp_path_factory.mktemp("asset-snmpsim"), recordings, next(iter(recordings)))
    try:
        # ready when every recording answers (snmpsim indexes each file on first use)
        wait_until(lambda: all(snmp_answers(agent.port, c) for c in recordings), 90, "snmpsim", agent.proc)
        yield Sim(agent.port, tuple(recordings))
    finally:
        agent.proc.stop()
