"""Fleet-mode agents for tests: a config in its own state folder, `patrol enroll`, `patrol run`.

For the collector's end-to-end tests too (a real `patrol serve` and several agents):

    config = agent_config(tmp_path / "pc-1", name="pc-1", exporter_port=free_port())
    enrol(config, collector_url, token, fingerprint)          # CompletedProcess; rc 0 when enrolled
    agent = start_agent(config)                                # a ServerProcess running `patrol run`
    ...
    agent.stop()                                               # SIGTERM, by its own PID

Each agent has its own state folder (store, outbox, enrolment) next to its config.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.support.proc import ServerProcess

REPO = Path(__file__).resolve().parents[2]
FAMILIES = ("system", "antivirus", "patches", "printers", "domain", "web", "mail", "software", "hardware", "switch",
            "printer_snmp", "netconfig")


def agent_config(folder: Path, *, name: str, exporter_port: int, site: str = "default",
                 families: Sequence[str] = ("system",), interval_s: float = 3600, extra: str = "") -> Path:
    """A config that runs only ``families`` (each once at start, then every ``interval_s``);
    ``extra`` is more YAML appended as is (e.g. a ``collector:`` section)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"agent: {{name: {name}, site: {site}, role: endpoint}}", "paths: {state_dir: state}",
             f"exporter: {{listen: '127.0.0.1:{exporter_port}'}}", "checks:"]
    for family in FAMILIES:
        if family in families:
            lines.append(f"  {family}: {{schedule: {{interval_s: {interval_s}, jitter_s: 0}}}}")
        else:
            lines.append(f"  {family}: {{enabled: false}}")
    path = folder / "patrol.yaml"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def patrol_argv(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-P", "-m", "agent.cli", "-c", str(config), *args]


def enrol(config: Path, url: str, token: str, fingerprint: str | None = None,
          timeout: float = 60) -> subprocess.CompletedProcess[str]:
    argv = patrol_argv(config, "enroll", url, "--token", token)
    if fingerprint:
        argv += ["--ca-fingerprint", fingerprint]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO)


def start_agent(config: Path, log_path: Path | None = None, env: dict[str, str] | None = None) -> ServerProcess:
    return ServerProcess(patrol_argv(config, "run"), log_path=log_path or config.parent / "patrol-run.log",
                         cwd=REPO, env=env)
