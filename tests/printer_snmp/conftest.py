"""snmpsim serving the printer recordings in data/ on a loopback UDP port (community = file name)."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.netconfig.serverstop import stop_server
from tests.support.proc import ServerProcess, free_port, require_program, wait_until

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class SnmpSim:
    port: int
    communities: tuple[str, ...]


def _answers(port: int, community: str) -> bool:
    from collectors.snmp.client import open_client
    from inventory.models import SnmpCredentials

    creds = SnmpCredentials(community="env:UNUSED", port=port, timeout_s=0.5, retries=0)

    async def probe() -> bool:
        async with open_client("127.0.0.1", creds, lambda ref: community) as snmp:
            return bool(await snmp.get(["1.3.6.1.2.1.1.1.0"]))  # sysDescr

    return asyncio.run(probe())


@pytest.fixture(scope="session")
def snmpsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSim]:
    program = require_program(str(Path(sys.executable).parent / "snmpsim-command-responder"), "pip: snmpsim (test extra)")
    root = tmp_path_factory.mktemp("snmpsim")
    data = root / "data"
    data.mkdir()
    communities = []
    for recording in sorted(DATA.glob("*.snmprec")):
        shutil.copy(recording, data / recording.name)  # copies, not symlinks (snmpsim indexes by path)
        communities.append(recording.stem)
    port = free_port("udp")
    proc = ServerProcess([program, f"--data-dir={data}", f"--cache-dir={root / 'cache'}",
                          f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--logging-method=null"],
                         log_path=root / "snmpsim.log", env={"SNMPSIM_ALLOW_ROOT": "true"})
    try:
        # Ready when every community answers (snmpsim indexes each file on first use).
        wait_until(lambda: all(_answers(port, c) for c in communities), 60, "snmpsim", proc)
        yield SnmpSim(port, tuple(communities))
    finally:
        stop_server(proc)
