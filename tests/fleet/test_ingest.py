"""Pushed batches into a real store and a real ticket engine (builtin backend): stored once, in
order, tickets decided at the collector for every agent together."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from agent.context import store_components
from agent.fleet.protocol import EnrollRequest, MachineIdentity, ResultBatch, run_to_wire
from agent.serve.ingest import AgentRevoked, Ingestor
from agent.serve.pump import TicketPump
from agent.serve.registry import AgentRegistry
from agent.serve.schema import FLEET
from agent.serve.watch import silence_runs
from agent.store import Store, core
from agent.ticketing.service import TicketingService
from collectors.base import CheckResult, CheckRun, State
from config.schema import Settings
from inventory.models import Inventory

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)
from tests.support.clock import ManualClock


class Site:
    """A collector's store, registry, ingest and ticket engine for site hq."""

    def __init__(self, tmp_path, settings: Settings | None = None) -> None:
        self.clock = ManualClock(T0)
        self.settings = settings or Settings.model_validate({"agent": {"site": "hq", "name": "collector"}})
        self.store = Store.open(f"sqlite:///{tmp_path / 'c.sqlite'}", "hq", [*store_components(), FLEET])
        self.registry = AgentRegistry(self.store.engine, self.clock)
        self.ingest = Ingestor(self.store.engine, lambda site: Store(self.store.engine, site), clock=self.clock)
        self.tickets = TicketingService(self.settings, self.store, Inventory(), self.clock)
        self.pump = TicketPump(lambda site: self.tickets)
        self.seq: dict[str, int] = {}

    def enrol(self, name: str):
        token = self.registry.create_token("hq").token
        agent, _, _ = self.registry.enroll(EnrollRequest(token=token, name=name,
                                                         identity=MachineIdentity(hostname=name, machine_id=name)))
        return agent

    def batch(self, agent, *states: State, seq: int | None = None, skew_s: float = 0.0, dropped: int = 0) -> ResultBatch:
        seq = seq if seq is not None else self.seq.get(agent.agent_id, 0) + 1
        self.seq[agent.agent_id] = seq
        now = self.clock()
        run = CheckRun("system", "ignored-by-the-collector", now, 0.2,
                       tuple(CheckResult("system.disk", "x", f"/d{i}", s, f"disk {s.name}", observed_at=now)
                             for i, s in enumerate(states)))
        return ResultBatch.model_validate({"batch_id": uuid.uuid4().hex, "seq": seq,
                                           "sent_at": (now + timedelta(seconds=skew_s)).isoformat(),
                                           "hostname": agent.hostname, "interval_s": 60, "dropped": dropped,
                                           "runs": [run_to_wire(run)]})

    def push(self, agent, batch: ResultBatch):
        ack, stored = self.ingest.store_batch(self.registry.get(agent.agent_id), batch, "127.0.0.9")
        if stored is not None:
            self.pump.submit(stored.site, stored.runs)
        return ack

    def count(self, table) -> int:
        with self.store.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()

    def open_tickets(self) -> list[tuple[str, str]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT target, \"check\" FROM tickets WHERE status != 'resolved'")).all()
        return sorted((r[0], r[1]) for r in rows)


@pytest.fixture()
def site(tmp_path):
    s = Site(tmp_path)
    yield s
    s.store.close()


def test_a_batch_is_stored_once_and_an_older_one_never(site):
    pc = site.enrol("pc-1")
    first = site.batch(pc, State.OK, State.WARN)
    ack = site.push(pc, first)
    assert (ack.stored, ack.results) == (True, 2)
    results = site.count(core.results)
    again = site.push(pc, first)  # the agent never heard our answer and sends it again
    assert (again.stored, again.results) == (False, 0)
    assert site.count(core.results) == results
    site.push(pc, site.batch(pc, State.OK, seq=5))
    late = site.push(pc, site.batch(pc, State.CRIT, seq=4))  # older than what we have: never applied
    assert not late.stored
    latest = {(s.result.target, s.result.check, s.result.item): s.result.state for s in site.store.latest()}
    assert latest[("pc-1", "system.disk", "/d0")] is State.OK
    assert site.registry.get("pc-1").last_seq == 5


def test_results_are_filed_under_the_agents_own_target_whatever_the_body_says(site):
    pc = site.enrol("pc-1")
    site.push(pc, site.batch(pc, State.OK))
    assert {s.result.target for s in site.store.latest()} == {"pc-1"}
    with site.store.engine.connect() as conn:
        received = conn.execute(sa.select(core.runs.c.received_at).where(core.runs.c.collector == "system")).scalar_one()
    assert received == T0


def test_a_revoked_agent_stores_nothing(site):
    pc = site.enrol("pc-1")
    site.registry.revoke("pc-1")
    with pytest.raises(AgentRevoked):
        site.push(pc, site.batch(pc, State.CRIT))
    assert site.count(core.results) == 0


def test_an_agent_clock_an_hour_off_is_a_warning_and_drops_are_reported(site):
    pc = site.enrol("pc-1")
    site.push(pc, site.batch(pc, State.OK, skew_s=-3600, dropped=42))
    latest = {s.result.check: s.result for s in site.store.latest()}
    assert latest["agent.clock"].state is State.WARN and "3600 s behind" in latest["agent.clock"].summary
    assert latest["agent.outbox"].state is State.WARN and "42 results" in latest["agent.outbox"].summary
    agent = site.registry.get("pc-1")
    assert agent.dropped_total == 42 and agent.clock_offset_s == pytest.approx(-3600)


def test_tickets_are_decided_at_the_collector_for_pushed_results(site):
    pcs = [site.enrol(f"pc-{i}") for i in range(3)]
    for _ in range(2):  # open_after 2 by default
        for pc in pcs:
            site.push(pc, site.batch(pc, State.CRIT if pc.target != "pc-2" else State.OK))
        site.clock.now += timedelta(minutes=2)
        site.pump.run_once()
    assert site.open_tickets() == [("pc-0", "system.disk"), ("pc-1", "system.disk")]
    for _ in range(2):  # resolve_after 2
        for pc in pcs:
            site.push(pc, site.batch(pc, State.OK))
        site.clock.now += timedelta(minutes=2)
        site.pump.run_once()
    assert site.open_tickets() == []


def test_a_silent_agent_gets_a_ticket_and_a_maintenance_window_holds_it(tmp_path):
    window = {"name": "patch night", "targets": ["pc-2"], "start": (T0 - timedelta(hours=1)).isoformat(),
              "end": (T0 + timedelta(hours=3)).isoformat()}
    s = Site(tmp_path, Settings.model_validate({"agent": {"site": "hq", "name": "c"},
                                                "ticketing": {"maintenance": [window]}}))
    for name in ("pc-1", "pc-2"):
        pc = s.enrol(name)
        s.push(pc, s.batch(pc, State.OK))
    for _ in range(3):
        s.clock.now += timedelta(minutes=11)  # silent_min_s is 600
        runs = silence_runs(s.registry.list(), s.clock(), after_intervals=3, min_s=600)["hq"]
        assert {r.target: r.results[0].state for r in runs} == {"pc-1": State.CRIT, "pc-2": State.CRIT}
        assert "last seen" in runs[0].results[0].summary
        s.ingest.store_runs("hq", runs)
        s.pump.submit("hq", runs)
        s.pump.run_once()
    assert s.open_tickets() == [("pc-1", "agent.silent")]  # pc-2 is in its maintenance window
    s.store.close()


def test_an_unreachable_pc_gets_one_ticket_that_holds_its_agents_silence(site):
    from agent.serve.watch import ProbeOutcome, reach_result

    pc = site.enrol("pc-1")
    site.push(pc, site.batch(pc, State.OK))
    for _ in range(3):
        site.clock.now += timedelta(minutes=11)
        now = site.clock()
        runs = [*silence_runs(site.registry.list(), now, after_intervals=3, min_s=600)["hq"],
                CheckRun("fleet", "pc-1", now, 0.0, (reach_result(
                    "pc-1", "127.0.0.9", ProbeOutcome(False, "none", None, "no answer on TCP 445 (timed out)"), now),))]
        site.ingest.store_runs("hq", runs)
        site.pump.submit("hq", runs)
        site.pump.run_once()
    assert site.open_tickets() == [("pc-1", "host.reachability")]
    # each watch run keeps the other's latest state (they share the "fleet" family)
    site.ingest.store_runs("hq", silence_runs(site.registry.list(), site.clock(), after_intervals=3, min_s=600)["hq"])
    assert {s.result.check for s in site.store.latest()} >= {"agent.silent", "host.reachability"}
