"""A real `patrol serve` for tests and benches: its own config and state dir, a free
loopback port, HTTPS with the CA it generates at first start; enrolment tokens made with
the real CLI (`patrol agents token create`) and fake agents that enrol and push over HTTP,
so the collector's tests do not depend on the agent side.

Usable from the fleet tests (tests/fleet/conftest.py), the agent-side tests and
bench/collector_ingest.py::

    with CollectorProcess.start(tmp / "collector", extra={"serve": {"keepalive_s": 2}}) as collector:
        agent = collector.enroll("pc-1")
        agent.push([result("system.disk", "C:", "WARN")])

Stopped by its own PID (tests/support/proc.py); ``kill9()`` and ``restart()`` simulate a crash.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
import yaml

from config.fleet import merge_checks
from tests.support.proc import ServerProcess, free_port, wait_until

REPO = Path(__file__).resolve().parents[2]


def patrol_argv(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "agent.cli", "-c", str(config), *args]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def result(check: str, item: str = "", state: str = "OK", summary: str = "fine", *,
           observed_at: datetime | None = None, metrics: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """One result as an agent sends it (agent/fleet/protocol.py ResultIn)."""
    return {"check": check, "item": item, "state": state, "summary": summary, "details": "",
            "observed_at": (observed_at or utcnow()).isoformat(), "metrics": list(metrics)}


def run(collector: str, results: Sequence[Mapping[str, Any]], *, started_at: datetime | None = None) -> dict[str, Any]:
    return {"collector": collector, "started_at": (started_at or utcnow()).isoformat(), "duration_s": 0.1,
            "error": None, "results": list(results)}


@dataclass
class FakeAgent:
    """An enrolled agent as the collector knows it; pushes what a test tells it to."""

    collector: "CollectorProcess"
    name: str
    agent_id: str
    target: str
    site: str
    credential: str
    session: requests.Session
    seq: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential}"}

    def batch(self, runs: Sequence[Mapping[str, Any]], *, seq: int | None = None, sent_at: datetime | None = None,
              dropped: int = 0, interval_s: float = 300) -> dict[str, Any]:
        """The next batch body (``seq`` counts up unless given)."""
        if seq is None:
            self.seq += 1
            seq = self.seq
        return {"batch_id": uuid.uuid4().hex, "seq": seq, "sent_at": (sent_at or utcnow()).isoformat(),
                "hostname": self.name, "version": "test", "os": "Linux test", "interval_s": interval_s,
                "dropped": dropped, "runs": list(runs)}

    def send(self, body: Mapping[str, Any] | bytes, *, gzipped: bool = False, timeout: float = 30,
             headers: Mapping[str, str] | None = None) -> requests.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        extra = {"Content-Type": "application/json", **self.headers, **(headers or {})}
        if gzipped:
            raw = gzip.compress(raw)
            extra["Content-Encoding"] = "gzip"
        return self.session.post(self.collector.url + "/api/v1/results", data=raw, headers=extra, timeout=timeout)

    def push(self, results: Sequence[Mapping[str, Any]], *, collector: str = "system", timeout: float = 30,
             **batch: Any) -> requests.Response:
        """One batch with one run of ``results``."""
        return self.send(self.batch([run(collector, results)], **batch), timeout=timeout)


@dataclass
class CollectorProcess:
    """`patrol serve --no-devices` on 127.0.0.1:<free port> with its own folder."""

    folder: Path
    settings: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: ServerProcess | None = None
    wrapper: Sequence[str] = ()
    devices: bool = False  # True: also poll the site's devices and run this machine's own checks
    _shared_token: str | None = None

    @classmethod
    def start(cls, folder: Path, extra: Mapping[str, Any] | None = None, *, env: Mapping[str, str] | None = None,
              timeout: float = 60, **kwargs: Any) -> "CollectorProcess":
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        settings = merge_checks({
            "agent": {"site": "hq", "name": "collector"},
            "paths": {"state_dir": str(folder / "state"), "reports_dir": str(folder / "reports")},
            "log": {"level": "INFO"},
            "serve": {"listen": f"127.0.0.1:{port}", "reachability": {"enabled": False}, "ticket_delay_s": 0.2},
        }, extra or {})
        collector = cls(folder, settings, dict(env or {}), port, **kwargs)
        collector.write_config()
        collector.launch(timeout)
        return collector

    # --- files -------------------------------------------------------------------------------

    @property
    def config(self) -> Path:
        return self.folder / "patrol.yaml"

    @property
    def state_dir(self) -> Path:
        return self.folder / "state"

    @property
    def ca_file(self) -> Path:
        return self.state_dir / "tls" / "ca.pem"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "serve.log"

    def write_config(self) -> None:
        self.config.write_text(yaml.safe_dump(self.settings, sort_keys=False))

    # --- process -----------------------------------------------------------------------------

    def launch(self, timeout: float = 60) -> None:
        # ``wrapper``: e.g. ["prlimit", "--nofile=256:256", "--"] to run it under a lower limit.
        serve = ("serve",) if self.devices else ("serve", "--no-devices")
        self.process = ServerProcess([*self.wrapper, *patrol_argv(self.config, *serve)],
                                     log_path=self.log_path, env={**self.env, "PYTHONUNBUFFERED": "1"}, cwd=REPO)
        try:
            wait_until(self.healthy, timeout, f"patrol serve on {self.url}", self.process)
        except Exception:
            self.stop()  # never leave a collector behind that a fixture will not stop
            raise

    def healthy(self) -> bool:
        if not self.ca_file.exists():
            return False
        return requests.get(self.url + "/healthz", verify=str(self.ca_file), timeout=2).status_code == 200

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=20)
            self.process = None

    def kill9(self) -> None:
        """A crash: SIGKILL to the collector we started (nothing flushed, no shutdown)."""
        assert self.process is not None
        self.process.stop(sig=signal.SIGKILL)
        self.process = None

    def restart(self, timeout: float = 60) -> None:
        self.stop()
        self.launch(timeout)

    def __enter__(self) -> "CollectorProcess":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- the CLI and HTTP --------------------------------------------------------------------

    def patrol(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(patrol_argv(self.config, *args), cwd=REPO, capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, **self.env})
        if check and done.returncode != 0:
            raise AssertionError(f"patrol {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def token(self, *, site: str | None = None, uses: int = 1, expires: str = "24h") -> str:
        """A one-time enrolment token from `patrol agents token create`."""
        args = ["agents", "token", "create", "--uses", str(uses), "--expires", expires]
        if site:
            args += ["--site", site]
        return self.patrol(*args).stdout.strip().splitlines()[0]

    def session(self) -> requests.Session:
        s = requests.Session()
        # Without this, REQUESTS_CA_BUNDLE in the environment wins over ``s.verify`` (requests#3829).
        s.trust_env = False
        s.verify = str(self.ca_file)
        return s

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, verify=str(self.ca_file), timeout=kwargs.pop("timeout", 30), **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, verify=str(self.ca_file), timeout=kwargs.pop("timeout", 30), **kwargs)

    def enroll(self, name: str, *, token: str | None = None, machine_id: str | None = None,
               session: requests.Session | None = None) -> FakeAgent:
        """Enrol a fake agent called ``name`` over HTTP (POST /api/v1/enroll); without ``token``,
        with one many-use token per collector (each CLI call is a Python start, seconds on a busy machine)."""
        if token is None:
            if self._shared_token is None:
                self._shared_token = self.token(uses=100_000)
            token = self._shared_token
        body = {"token": token, "name": name,
                "identity": {"hostname": name, "machine_id": machine_id or uuid.uuid4().hex},
                "os": "Linux test", "version": "test"}
        s = session or self.session()
        answer = s.post(self.url + "/api/v1/enroll", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        data = answer.json()
        return FakeAgent(self, name, data["agent_id"], data["target"], data["site"], data["credential"], s)

    def agent_json(self, name: str) -> dict[str, Any]:
        return json.loads(self.patrol("agents", "show", name).stdout)

    def sqlite(self) -> Any:
        """A read-only connection to the collector's SQLite store (while it runs: WAL readers do not block it)."""
        import sqlite3

        return sqlite3.connect(f"file:{self.state_dir / 'patrol.sqlite'}?mode=ro", uri=True, timeout=10)

    def count(self, sql: str, *params: Any) -> int:
        with self.sqlite() as conn:
            return int(conn.execute(sql, params).fetchone()[0])
