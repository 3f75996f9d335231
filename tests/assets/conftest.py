"""snmpsim serving the trimmed real device walks (and two printer recordings) in snmp/ on a
loopback UDP port; community = file name. Stopped by its own PID. The archive tests use
tests/core's session PostgreSQL server (``postgres_url``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.core.conftest import postgres_url  # noqa: F401  (a fixture, used by name)
from tests.snmp.conftest import snmp_answers
from tests.support.proc import ServerProcess, free_port, require_program, wait_until

SNMP_DATA = Path(__file__).parent / "snmp"


@dataclass(frozen=True)
class Sim:
    port: int
    communities: tuple[str, ...]


@pytest.fixture(scope="session")
def asset_snmpsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    program = require_program(str(Path(os.sys.executable).parent / "snmpsim-command-responder"), "pip snmpsim")
    root = tmp_path_factory.mktemp("asset-snmpsim")
    data = root / "data"
    data.mkdir()
    names = []
    for rec in sorted(SNMP_DATA.glob("*.snmprec")):
        shutil.copy(rec, data / rec.name)  # copies, not symlinks: snmpsim resolves links oddly
        names.append(rec.stem)
    port = free_port("udp")
    proc = ServerProcess([program, f"--data-dir={data}", f"--cache-dir={root / 'cache'}",
                          f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--logging-method=null"],
                         log_path=root / "snmpsim.log", env={"SNMPSIM_ALLOW_ROOT": "true"})
    try:
        wait_until(lambda: all(snmp_answers(port, c) for c in names), 90, "snmpsim", proc)
        yield Sim(port, tuple(names))
    finally:
        proc.stop()
