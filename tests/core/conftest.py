from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.postgres import postgres_url  # noqa: F401 - the session fixture
from tests.support.proc import ServerProcess, free_port, require_program, wait_http

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def daemon(tmp_path):
    """Start `patrol run` with test collectors; yields a starter returning (process, metrics_url, settings_dir)."""
    started: list[ServerProcess] = []

    def start(collectors: str, checks_yaml: str, real_cli: bool = False) -> tuple[ServerProcess, str, Path]:
        port = free_port()
        config = tmp_path / "patrol.yaml"
        config.write_text(f"agent: {{site: hq, name: pc-1}}\nexporter: {{listen: '127.0.0.1:{port}'}}\n{checks_yaml}")
        if real_cli:
            argv = [sys.executable, "-m", "agent.cli", "-c", str(config), "run"]
        else:
            argv = [sys.executable, "-m", "tests.core.daemon_script", str(config), collectors]
        proc = ServerProcess(argv, log_path=tmp_path / "daemon.out", cwd=REPO)
        started.append(proc)
        url = f"http://127.0.0.1:{port}/metrics"
        wait_http(url, 20, proc)
        return proc, url, tmp_path

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_program("promtool", "prometheus")
