"""Fleet-mode agents for tests: a config in its own state folder, `patrol enroll`, `patrol run`.

For the collector's end-to-end tests too (a real `patrol serve` and several agents):

    collector = collector_config(tmp_path / "collector", port=port)
    server, fingerprint = start_collector(collector, port)     # `patrol serve --no-devices`, ready
    config = agent_config(tmp_path / "pc-1", name="pc-1", exporter_port=free_port())
    enrol(config, collector_url, create_token(collector), fingerprint)   # CompletedProcess; rc 0 when enrolled
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
            "printer_snmp", "netconfig", "assets")


def collector_config(folder: Path, *, port: int, site: str = "default", serve: str = "", extra: str = "") -> Path:
    """A `patrol serve` config on 127.0.0.1:``port`` with its own state folder (its CA is made there);
    ``serve`` is more keys of the ``serve:`` mapping in flow style (``agent_checks: {...}``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "patrol.yaml"
    more = f", {serve}" if serve else ""
    path.write_text(f"agent: {{name: collector, site: {site}}}\npaths: {{state_dir: state}}\n"
                    f"exporter: {{enabled: false}}\nserve: {{listen: '127.0.0.1:{port}'{more}}}\n" + extra)
    return path


def start_collector(config: Path, port: int, timeout: float = 60) -> tuple[ServerProcess, str]:
    """`patrol serve --no-devices`, ready; returns it and its CA fingerprint (SHA-256 of the DER, hex)."""
    import hashlib
    import ssl

    from tests.support.proc import wait_until

    proc = ServerProcess(patrol_argv(config, "serve", "--no-devices"), log_path=config.parent / "serve.log", cwd=REPO)
    ca = config.parent / "state" / "tls" / "ca.pem"

    def ready() -> bool:
        import requests

        return ca.is_file() and requests.get(f"https://127.0.0.1:{port}/healthz", verify=str(ca), timeout=1).ok

    wait_until(ready, timeout, "patrol serve", proc)
    fingerprint = hashlib.sha256(ssl.PEM_cert_to_DER_cert(ca.read_text())).hexdigest()
    return proc, fingerprint


def create_token(collector: Path, *args: str) -> str:
    """A token from `patrol agents token create` (``args``: --site, --uses, --expires)."""
    done = subprocess.run(patrol_argv(collector, "agents", "token", "create", *args), capture_output=True, text=True,
                          timeout=60, cwd=REPO, check=True)
    return done.stdout.split()[0]


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
