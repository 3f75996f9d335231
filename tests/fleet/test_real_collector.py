"""The agent against the real collector: `patrol serve`, `patrol enroll`, `patrol run` as processes.

What the agent side must get right with the real thing: the pinned CA and the server
certificate it makes, the enrolment answer, pushed batches stored and on the collector's
/metrics, the central settings applied, revocation (one line, outbox kept) and
re-enrolment of the same computer (same target, the kept batches delivered).
"""

from __future__ import annotations

import subprocess

import requests

from agent.run.push import REFUSED_LINE
from tests.support.fleet import REPO, agent_config, collector_config, create_token, enrol, patrol_argv, start_agent, start_collector
from tests.support.proc import free_port, wait_until


def test_enrol_push_revoke_and_reenrol_with_patrol_serve(tmp_path):
    port = free_port()
    collector = collector_config(tmp_path / "collector", port=port, site="acme",
                                 serve="agent_checks: {system: {memory_used_percent: {warn: 0.01, crit: null}}}, "
                                       "local_overrides: ['*.enabled', 'system.schedule.*']")
    server, fingerprint = start_collector(collector, port)
    ca = collector.parent / "state" / "tls" / "ca.pem"
    url = f"https://127.0.0.1:{port}"
    agent = None
    try:
        config = agent_config(tmp_path / "pc-1", name="pc-1", site="acme", exporter_port=free_port(), interval_s=3,
                              extra="collector: {push_interval_s: 1, retry_base_s: 1, retry_max_s: 2}\n")
        done = enrol(config, url, create_token(collector, "--uses", "2"), fingerprint)
        assert done.returncode == 0, done.stderr
        assert "matches" in done.stdout and "target pc-1 of site acme" in done.stdout

        agent = start_agent(config)

        def collector_metrics() -> str:
            return requests.get(f"{url}/metrics", verify=str(ca), timeout=2).text

        # Stored by the collector, under this agent's target, with the centre's threshold applied.
        memory_warn = 'patrol_check_state{check="system.memory",item="",site="acme",target="pc-1"} 1.0'
        wait_until(lambda: memory_warn in collector_metrics(), 90, "pc-1's results on the collector", agent)

        revoked = subprocess.run(patrol_argv(collector, "agents", "revoke", "pc-1"), capture_output=True, text=True,
                                 timeout=60, cwd=REPO)
        assert revoked.returncode == 0, revoked.stderr
        wait_until(lambda: REFUSED_LINE in agent.log_tail(300), 60, "the refused line", agent)
        wait_until(lambda: "patrol_push_pending_batches 0.0" not in requests.get(
            f"http://127.0.0.1:{_exporter_port(config)}/metrics", timeout=2).text, 30, "batches kept", agent)
        assert agent.log_tail(300).count(REFUSED_LINE) == 1

        # The same computer enrols again: same target, and the kept batches go.
        again = enrol(config, url, create_token(collector), fingerprint)
        assert again.returncode == 0, again.stderr
        assert "same target" in again.stdout and "target pc-1 of" in again.stdout
        wait_until(lambda: "patrol_push_pending_batches 0.0" in requests.get(
            f"http://127.0.0.1:{_exporter_port(config)}/metrics", timeout=2).text, 60, "delivery after re-enrolment", agent)
        listed = subprocess.run(patrol_argv(collector, "agents", "list", "--json"), capture_output=True, text=True,
                                timeout=60, cwd=REPO)
        assert listed.returncode == 0 and listed.stdout.count('"target": "pc-1"') == 1  # no duplicate workstation
    finally:
        if agent is not None:
            agent.stop()
        server.stop()


def _exporter_port(config) -> int:
    import re

    return int(re.search(r"127\.0\.0\.1:(\d+)", config.read_text()).group(1))
