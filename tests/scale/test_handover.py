"""A switch handed from one replica to another keeps its SNMP poll state: the replica that
takes it over computes its rates from the previous replica's poll (the state travels in the
device's lease row, not in either replica's state_dir).

Real polls: the real switch collector through the real runner and the replicas' lease loop
(agent/serve/polling.py poll_leased) against the replay responder, on the real PostgreSQL.
The switch is tests/snmp's generated 8-port recording (synth.py, hand-made) at two moments:
``t0``, then ``t1`` 300 s later with Gi0/4 having received 33.75 GB (900 Mbit/s).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from agent.runner import CheckJob, Runner
from agent.serve.leases import CarriedPollState, Leases, device_leases
from agent.serve.polling import FamilyPlan, poll_leased
from collectors.base import CheckRun, CollectorIO
from collectors.snmp.pollstate import POLL_STATE_KEY
from collectors.switch import SwitchCollector
from config.checks.switch import SwitchParams
from config.secrets import resolve_secret
from tests.snmp.conftest import SYNTH, device
from tests.support import replay_responder

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)
INTERVAL_S = 300


class Recorder:
    """poll_leased's recorder: keeps the runs (the store is not what this test is about)."""

    def __init__(self) -> None:
        self.runs: list[CheckRun] = []

    def __call__(self, run: CheckRun) -> None:
        self.runs.append(run)

    def store_pending(self) -> bool:
        return True


@pytest.fixture
def responder(tmp_path):
    paths = []
    for moment in ("t0", "t1"):
        path = tmp_path / f"sw-{moment}.snmprec"
        path.write_text(SYNTH[f"synth/{moment}"], encoding="latin-1")
        paths.append(path)
    proc, port = replay_responder.start(paths, tmp_path / "responder.log")
    yield port
    proc.stop()


def poll_as(engine, name: str, at: datetime, community: str, port: int, state_dir: Path) -> list[CheckRun]:
    """One device worker of replica ``name`` at ``at``: claim what is due, poll it, complete."""
    carried = CarriedPollState()
    io = CollectorIO(run=None, state_dir=state_dir, clock=lambda: at,  # type: ignore[arg-type]
                     resolve_secret=resolve_secret, extra={POLL_STATE_KEY: carried})
    leases = Leases(engine, "hq", name, lease_s=60, clock=lambda: at, carried=carried)
    leases.beat()
    params = SwitchParams(response_time_s={"warn": None, "crit": None})  # the machine's CPU is shared
    job = CheckJob(SwitchCollector(), device(port, community), params)
    recorder = Recorder()
    runner = Runner(io, concurrency=4)
    try:
        asyncio.run(poll_leased([FamilyPlan("switch", {"sw1": job}, INTERVAL_S)], leases, runner, recorder,
                                capacity=4, wait_fraction=0.0))
    finally:
        runner.close()
    return recorder.runs


def port_metrics(run: CheckRun, port: str) -> dict[str, float]:
    (result,) = [r for r in run.results if r.check == "switch.port" and r.item == port]
    return {m.name: m.value for m in result.metrics}


def test_the_replica_taking_a_switch_over_computes_its_rates_from_the_last_poll(engine, responder, tmp_path):
    (first,) = poll_as(engine, "r1", T0, "sw-t0", responder, tmp_path / "r1")
    assert "port_in_bits_per_second" not in port_metrics(first, "Gi0/4")  # the first poll ever: no rate yet
    with engine.connect() as conn:
        row = conn.execute(device_leases.select()).one()
    assert row.last_owner == "r1" and row.poll_state and '"ports"' in row.poll_state

    # r1 is gone (no heartbeat since T0); r2, which never polled sw1, polls it an interval later.
    (second,) = poll_as(engine, "r2", T0 + timedelta(seconds=INTERVAL_S), "sw-t1", responder, tmp_path / "r2")
    metrics = port_metrics(second, "Gi0/4")
    assert metrics["port_in_bits_per_second"] == 900_000_000  # 33.75 GB over the 300 s since r1's poll
    assert metrics["port_out_bits_per_second"] == 100_000_000
    assert metrics["port_in_utilization_percent"] == 90
    assert {(r.check, r.item): r.state.name for r in second.results}[("switch.uptime", "")] == "OK"  # no false reboot
    # Nothing was kept per replica: the state lives in the lease row only.
    assert not (tmp_path / "r1" / "snmp").exists() and not (tmp_path / "r2" / "snmp").exists()
    with engine.connect() as conn:
        assert conn.execute(device_leases.select()).one().last_owner == "r2"


def test_a_confirmation_re_check_on_a_replica_reads_the_state_in_the_lease_row(
        engine, responder, tmp_path, postgres_url, monkeypatch):
    """A confirmation runs outside the leases (agent/worker.py): it reads the last leased
    poll's state from the row, so its rates are right too, and writes none back."""
    import yaml

    from agent.context import AppContext
    from agent.wire import decode, run_from_json
    from agent.worker import REPLICA_ENV, Worker
    from config.loader import load_settings
    from tests.scale.replicas import replica_settings

    poll_as(engine, "r1", T0, "sw-t0", responder, tmp_path / "r1")
    with engine.connect() as conn:
        before = conn.execute(device_leases.select()).one().poll_state
    target = device(responder, "sw-t1")  # sets the community's environment variable
    (tmp_path / "inventory.yaml").write_text(yaml.safe_dump({"site": {"name": "hq"}, "network_devices": [
        {"name": "sw1", "address": "127.0.0.1", "snmp": target.snmp.model_dump(mode="json", exclude_none=True)}]}))
    settings = replica_settings("r2", postgres_url, tmp_path / "inventory.yaml", interval_s=INTERVAL_S, lease_s=60,
                                concurrency=2, extra={"paths": {"state_dir": str(tmp_path / "r2")}})
    (tmp_path / "patrol.yaml").write_text(yaml.safe_dump(settings))
    monkeypatch.setenv(REPLICA_ENV, "r2")
    ctx = AppContext(load_settings(tmp_path / "patrol.yaml"), tmp_path / "patrol.yaml",
                     clock=lambda: T0 + timedelta(seconds=INTERVAL_S))
    lines: list[str] = []
    try:
        asyncio.run(Worker(ctx, lines.append).checks(["switch"], targets=[("switch", "sw1")]))
    finally:
        ctx.close()
    (run,) = [run_from_json(m.body["run"]) for m in map(decode, lines) if m.kind == "run"]
    assert port_metrics(run, "Gi0/4")["port_in_bits_per_second"] == 900_000_000
    with engine.connect() as conn:
        row = conn.execute(device_leases.select()).one()
    assert (row.poll_state, row.last_owner) == (before, "r1")  # read only: the next leased poll starts from r1's
