"""A real site collector and three real agents, each a separate process with its own state folder.

One scenario, in the order an MSP would live it: three PCs enrol and push; the collector
is stopped for 60 s and the agents buffer; one agent is killed with SIGKILL (with its
workers) while it delivers its backlog; at the end every run each agent measured is in the
collector's store exactly once. Then a revoked agent is refused (and nothing it sends is
stored), and a reinstalled PC (state folder wiped, enrolled again) keeps its target.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.support.collector import CollectorProcess
from tests.support.fleet import agent_config, enrol, start_agent
from tests.support.proc import ServerProcess, free_port, wait_until

pytestmark = pytest.mark.slow
OUTAGE_S = 60
PUSH = "collector: {push_interval_s: 1, retry_base_s: 1, retry_max_s: 3, config_refresh_s: 3600, timeout_s: 5}\n"


def local_runs(config: Path) -> int:
    """Runs the agent measured (it keeps them in its own store too)."""
    with sqlite3.connect(config.parent / "state" / "patrol.sqlite") as db:
        return db.execute("SELECT count(*) FROM runs").fetchone()[0]


def pending(config: Path) -> int:
    path = config.parent / "state" / "fleet" / "outbox.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        table = "batches" if "batches" in tables else sorted(tables)[0]
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def kill_tree(agent: ServerProcess) -> None:
    """SIGKILL the agent and every worker it started (their own process groups): a power cut."""
    children = psutil.Process(agent.pid).children(recursive=True)
    agent.stop(sig=signal.SIGKILL)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


@pytest.fixture()
def collector(tmp_path):
    # the test agents' own files turn most families off: let them (the default lets a PC's
    # file change only web, mail and software settings)
    with CollectorProcess.start(tmp_path / "collector", {"serve": {"local_overrides": ["*"]}}) as running:
        yield running


def test_three_agents_buffer_through_an_outage_and_a_kill_without_loss_or_duplicates(collector, tmp_path):
    fingerprint = _fingerprint(collector)
    configs, agents = [], {}
    for name in ("pc-1", "pc-2", "pc-3"):
        # three agents on one machine: each says it is another computer (agent.machine_id)
        config = agent_config(tmp_path / name, name=name, exporter_port=free_port(), site="hq", interval_s=8,
                              extra=PUSH)
        config.write_text(config.read_text().replace("role: endpoint}", f"role: endpoint, machine_id: id-{name}}}"))
        done = enrol(config, collector.url, collector.token(), fingerprint)
        assert done.returncode == 0, done.stderr
        configs.append(config)
        agents[name] = start_agent(config)
    try:
        def all_pushed() -> bool:
            return collector.count("SELECT count(DISTINCT target) FROM runs WHERE collector = 'system'") == 3
        wait_until(all_pushed, 180, "a push from each of the three agents")

        collector.stop()
        time.sleep(OUTAGE_S)
        assert all(pending(c) > 0 for c in configs), "the agents buffered nothing while the collector was down"
        collector.launch()
        # pc-1 dies (with its workers) while it sends its backlog
        time.sleep(0.3)
        kill_tree(agents["pc-1"])
        agents["pc-1"] = start_agent(configs[0])

        wait_until(lambda: all(pending(c) == 0 for c in configs), 240, "every outbox delivered")
    finally:
        for agent in agents.values():
            agent.stop()
    for config in configs:
        wait_until(lambda: pending(config) == 0, 30, "outbox empty after stop")
    # every run each agent measured is in the collector's store exactly once
    for config, name in zip(configs, ("pc-1", "pc-2", "pc-3")):
        measured = local_runs(config)
        stored = collector.count("SELECT count(*) FROM runs WHERE target = ? AND collector != 'agent' "
                                 "AND collector != 'fleet'", name)
        assert stored == measured, (name, measured, stored)
        duplicates = collector.count(
            "SELECT count(*) FROM (SELECT 1 FROM results r JOIN runs u ON u.id = r.run_id WHERE r.target = ? "
            "AND u.collector = 'system' GROUP BY r.\"check\", r.item, r.observed_at HAVING count(*) > 1)", name)
        assert duplicates == 0
    info = collector.agent_json("pc-2")
    assert info["last_seq"] >= 2 and info["last_seen"]


def test_a_revoked_agent_is_refused_keeps_its_outbox_and_nothing_is_stored(collector, tmp_path):
    fingerprint = _fingerprint(collector)
    config = agent_config(tmp_path / "pc-9", name="pc-9", exporter_port=free_port(), site="hq", interval_s=4,
                          extra=PUSH)
    assert enrol(config, collector.url, collector.token(), fingerprint).returncode == 0
    agent = start_agent(config)
    try:
        wait_until(lambda: collector.count("SELECT count(*) FROM runs WHERE target='pc-9' AND collector='system'") > 0,
                   60, "a first push", agent)
        collector.patrol("agents", "revoke", "pc-9")
        before = collector.count("SELECT count(*) FROM results WHERE target = 'pc-9'")
        wait_until(lambda: pending(config) >= 2, 60, "batches held back after revocation", agent)
        assert collector.count("SELECT count(*) FROM results WHERE target = 'pc-9'") == before
        log = (config.parent / "patrol-run.log").read_text()
        assert log.count("refused by the collector") == 1, log[-3000:]
        # one line in the collector's log too, not one per retry
        assert collector.log_path.read_text().count("revoked agent") == 1
    finally:
        agent.stop()


def test_a_reinstalled_pc_enrols_again_as_the_same_target(collector, tmp_path):
    fingerprint = _fingerprint(collector)
    config = agent_config(tmp_path / "pc-5", name="pc-5", exporter_port=free_port(), site="hq", extra=PUSH)
    assert enrol(config, collector.url, collector.token(), fingerprint).returncode == 0
    first = collector.agent_json("pc-5")
    shutil.rmtree(config.parent / "state")  # the agent reinstalled: no enrolment, no outbox, no store
    done = enrol(config, collector.url, collector.token(), fingerprint)
    assert done.returncode == 0, done.stderr
    again = collector.agent_json("pc-5")
    assert again["agent_id"] == first["agent_id"]
    listed = collector.patrol("agents", "list", "--json").stdout
    assert listed.count('"target": "pc-5"') == 1


def _fingerprint(collector: CollectorProcess) -> str:
    from agent.serve.tls import TlsFiles

    return TlsFiles(collector.ca_file, collector.ca_file, collector.ca_file).ca_fingerprint()


def test_the_collector_serves_the_agents_on_metrics(collector):
    agent = collector.enroll("pc-7")
    from tests.support.collector import result

    assert agent.push([result("system.disk", "/", "CRIT", "disk 99% full")]).status_code == 200
    text = collector.get("/metrics").text
    assert 'patrol_check_state{check="system.disk",item="/",site="hq",target="pc-7"} 2.0' in text
    assert 'patrol_agent_last_seen_timestamp_seconds{site="hq",target="pc-7"}' in text
    assert requests.get(collector.url + "/healthz", verify=str(collector.ca_file), timeout=5).text == "ok\n"
