"""A real Request Tracker 5 for the tests: SQLite in a temp dir, rt-server on 127.0.0.1.

Recipe from PEERS.md: own RT_SiteConfig.pm through RT_SITE_CONFIG (and an empty
RT_SITE_CONFIG_DIR so Debian's dbconfig snippets are not read), ``rt-setup-database
--action init``, the Patrol custom field from ``rt/initialdata``, a REST2 token made with
RT's own libraries, then ``rt-server``; ready when ``GET /REST/2.0/rt`` answers 200.
Stopped with SIGTERM (SIGINT would chown /var/lib/request-tracker5).
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.proc import ServerProcess, free_port, require_program, tcp_listening, wait_until

HERE = Path(__file__).parent / "rt"
RT_SERVER = "/usr/share/request-tracker5/libexec/rt-server"
SETUP_DB = "/usr/sbin/rt-setup-database-5"


@dataclass
class RtInstance:
    url: str
    token: str
    port: int
    env: dict[str, str]
    workdir: Path
    process: ServerProcess | None = None

    def start(self) -> None:
        self.process = ServerProcess(
            [RT_SERVER, "--host", "127.0.0.1", "--port", str(self.port), "--max-workers", "2"],
            log_path=self.workdir / "rt-server.log", env=self.env)
        # Without credentials REST2 answers 401, so readiness is asked with the token.
        wait_until(lambda: requests.get(f"{self.url}/REST/2.0/rt", headers=self.headers, timeout=2).status_code == 200,
                   60, f"{self.url}/REST/2.0/rt", self.process)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def stop(self) -> None:
        """SIGTERM to the rt-server we started (its workers exit with it), then wait for the port to close.

        ServerProcess.stop() alone is not enough here: it compares /proc/PID/cmdline with the
        one read right after fork, which can still be Python's before the exec, and then
        sends nothing.
        """
        proc, self.process = self.process, None
        if proc is None:
            return
        try:
            ours = b"rt-server" in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        except OSError:
            ours = False
        if ours and proc.popen.poll() is None:
            proc.popen.send_signal(signal.SIGTERM)
            try:
                proc.popen.wait(20)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(5)
        proc.stop()  # closes the log
        wait_until(lambda: not tcp_listening(self.port), 20, f"rt-server on port {self.port} to stop")


def prepare(workdir: Path) -> RtInstance:
    require_program(RT_SERVER, "rt5-standalone")
    setup_db = require_program(SETUP_DB, "request-tracker5")
    port = free_port()
    (workdir / "session_data").mkdir(parents=True, exist_ok=True)
    (workdir / "mason_data").mkdir(exist_ok=True)
    (workdir / "site.d").mkdir(exist_ok=True)
    sendmail = workdir / "sendmail.sh"
    sendmail.write_text(f"#!/bin/sh\ncat >> {workdir}/mail.txt\n")
    sendmail.chmod(0o755)
    config = (HERE / "RT_SiteConfig.pm.in").read_text()
    for name, value in {"DB": str(workdir / "rt.sqlite"), "PORT": str(port), "SENDMAIL": str(sendmail),
                        "DIR": str(workdir)}.items():
        config = config.replace(f"@{name}@", value)
    site_config = workdir / "RT_SiteConfig.pm"
    site_config.write_text(config)
    env = {**os.environ, "RT_SITE_CONFIG": str(site_config), "RT_SITE_CONFIG_DIR": str(workdir / "site.d")}

    def run(argv: list[str]) -> str:
        done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
        return done.stdout

    run([setup_db, "--action", "init"])
    run([setup_db, "--action", "insert", "--datafile", str(HERE / "initialdata")])
    token = run(["perl", str(HERE / "make_token.pl")]).strip().splitlines()[-1]
    return RtInstance(url=f"http://127.0.0.1:{port}", token=token, port=port, env=env, workdir=workdir)
