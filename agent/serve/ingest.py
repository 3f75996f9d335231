"""Where pushed results arrive: a batch is stored once, in order, together with its sequence number.

The agent's ``last_seq`` and the batch's runs are written in one transaction, and the
update is conditional (``last_seq < seq``), so a re-sent batch (the agent never heard our
answer) is a no-op, two replicas racing for the same batch store it once, and a crash
between the two writes cannot happen. The collector answers only after the commit: what
an agent has been told is stored, is.

Every batch also yields an ``agent.clock`` result (the agent's clock against ours; the
results keep the agent's ``observed_at``, their run the collector's ``received_at``) and, when the
agent dropped results past its outbox bound, an ``agent.outbox`` WARN naming how many.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from agent.fleet.protocol import BatchAck, ResultBatch, run_from_wire
from agent.serve.registry import AgentRecord
from agent.serve.schema import agents
from agent.store import RunWrite, Store
from collectors.base import CheckResult, CheckRun, Metric, State, utcnow
from collectors.messages import Messages

AGENT_COLLECTOR = "agent"  # the pseudo check family of what the collector says about its agents


class AgentRevoked(Exception):
    pass


@dataclass(frozen=True)
class StoredBatch:
    site: str
    runs: tuple[CheckRun, ...]  # the agent's runs and the collector's own "agent" run about it


MSG = Messages({
    "agent.clock.ahead": "clock {seconds:.0f} s ahead of the collector's (more than {limit:.0f} s: results are filed "
                         "under the agent's own time; fix its time sync)",
    "agent.clock.behind": "clock {seconds:.0f} s behind the collector's (more than {limit:.0f} s: results are filed "
                          "under the agent's own time; fix its time sync)",
    "agent.clock.within": "clock within {seconds:.0f} s of the collector's",
    "agent.outbox.dropped": "the agent dropped {n} results while it could not reach the collector "
                            "(outbox full or too old: collector.outbox_max_mb / outbox_max_age_h)",
    "agent.outbox.complete": "every result the agent measured arrived",
})


def clock_result(target: str, offset_s: float, warn_s: float, now: datetime) -> CheckResult:
    """``agent.clock``: how far the agent's clock is from the collector's (positive: ahead)."""
    state = State.WARN if abs(offset_s) > warn_s else State.OK
    if state is State.WARN:
        said = MSG.say("agent.clock.ahead" if offset_s > 0 else "agent.clock.behind", seconds=abs(offset_s),
                       limit=warn_s)
    else:
        said = MSG.say("agent.clock.within", seconds=max(1.0, abs(offset_s)))
    return CheckResult("agent.clock", target, "", state, said.text,
                       metrics=(Metric("agent_clock_offset_seconds", round(offset_s, 3), "seconds"),), observed_at=now,
                       message=said.ref)


def outbox_result(target: str, dropped: int, now: datetime) -> CheckResult:
    if dropped:
        said = MSG.say("agent.outbox.dropped", n=dropped)
        return CheckResult("agent.outbox", target, "", State.WARN, said.text,
                           metrics=(Metric("agent_dropped_results_count", float(dropped), "count"),), observed_at=now,
                           message=said.ref)
    said = MSG.say("agent.outbox.complete")
    return CheckResult("agent.outbox", target, "", State.OK, said.text, observed_at=now, message=said.ref)


class Ingestor:
    def __init__(self, engine: sa.Engine, store_for: Callable[[str], Store], *, clock_skew_warn_s: float = 300,
                 clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.store_for = store_for
        self.clock_skew_warn_s = clock_skew_warn_s
        self.clock = clock

    def store_batch(self, agent: AgentRecord, batch: ResultBatch,
                    address: str | None = None) -> tuple[BatchAck, StoredBatch | None]:
        if agent.revoked:
            raise AgentRevoked(agent.agent_id)
        now = self.clock()
        target = agent.target
        runs = [run_from_wire(run, target) for run in batch.runs]
        offset = (batch.sent_at - now).total_seconds()
        own = CheckRun(AGENT_COLLECTOR, target, now, 0.0,
                       (clock_result(target, offset, self.clock_skew_warn_s, now),
                        outbox_result(target, batch.dropped, now)))
        count = sum(len(r.results) for r in runs)
        store = self.store_for(agent.site)
        with self.engine.begin() as conn:
            claimed = conn.execute(
                agents.update()
                .where(agents.c.agent_id == agent.agent_id, agents.c.last_seq < batch.seq, agents.c.revoked_at.is_(None))
                .values(last_seq=batch.seq, last_seen=now, address=address or agent.address, hostname=batch.hostname, version=batch.version,
                        os=batch.os, interval_s=batch.interval_s, clock_offset_s=offset,
                        dropped_total=agents.c.dropped_total + batch.dropped,
                        results_total=agents.c.results_total + count)).rowcount
            if not claimed:
                revoked = conn.execute(sa.select(agents.c.revoked_at).where(
                    agents.c.agent_id == agent.agent_id)).scalar_one_or_none()
                if revoked is not None:
                    raise AgentRevoked(agent.agent_id)
                # Stored before: say so, and still note that the agent is alive.
                conn.execute(agents.update().where(agents.c.agent_id == agent.agent_id).values(last_seen=now))
                return BatchAck(batch_id=batch.batch_id, seq=batch.seq, stored=False, results=0), None
            store.write_runs(conn, [*(RunWrite(run, forget_unreported=True, received_at=now) for run in runs),
                                    RunWrite(own)])
        return (BatchAck(batch_id=batch.batch_id, seq=batch.seq, stored=True, results=count),
                StoredBatch(agent.site, (*runs, own)))

    def store_runs(self, site: str, runs: Sequence[CheckRun]) -> None:
        """Runs the collector made itself (silence, reachability, alerts), in one transaction.

        Each of them reports one kind of item of a target, so none may drop the latest
        rows another one left (the silence run does not say the target's reachability is gone)."""
        store = self.store_for(site)
        with self.engine.begin() as conn:
            store.write_runs(conn, [RunWrite(run) for run in runs])
