"""A process killed in the middle of a backend call: its claimed call is sent by the next drain elsewhere, at once
(the claimer is gone), not when a 5-minute lease runs out. A claimer that still lives keeps its call.

The claimer is a real process (``python -c``) sending to a server that never answers; it is killed with SIGKILL
by its own PID while the call hangs.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import sqlalchemy as sa

from agent.ticketing import liveness, schema
from collectors.base import State
from tests.support.proc import SilentServer, wait_until
from tests.ticketing.conftest import FlakyBackend, settings_with

REPO = Path(__file__).resolve().parents[2]
DISK = ("pc-00", "system.disk", State.CRIT, "/")


def claimer(db: Path, url: str) -> subprocess.Popen:
    """Another Patrol process draining the outbox into ``url`` (which hangs) with a 300 s call deadline."""
    code = textwrap.dedent(f'''
        from datetime import datetime, timezone
        from agent.context import store_components
        from agent.store import Store
        from agent.ticketing.backends.webhook import WebhookBackend
        from agent.ticketing.outbox import Outbox
        store = Store.open("sqlite:///{db}", "acme", store_components())
        Outbox(store.engine, "acme", WebhookBackend({url!r}, timeout_s=300),
               clock=lambda: datetime.now(timezone.utc), max_drain_s=600).drain(force=True)
    ''')
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO)


def claimed_by(h) -> str | None:
    with h.store.engine.connect() as conn:
        return conn.execute(sa.select(schema.outbox.c.claimed_by).where(schema.outbox.c.status == "pending")).scalar()


def queued_open(make_harness, tmp_path):
    from datetime import datetime, timezone

    from tests.ticketing.conftest import Clock

    h = make_harness(settings_with(), backend=FlakyBackend, db=tmp_path / "patrol.sqlite",
                     clock=Clock(datetime.now(timezone.utc).replace(microsecond=0)))
    h.service.backend.mode = "down"
    h.cycle(DISK, minutes=0)
    h.cycle(DISK, minutes=0)
    [op] = h.service.outbox.pending()
    assert op.op == "open"
    h.service.backend.mode = "up"
    return h


def test_a_killed_claimers_call_is_sent_by_the_next_drain(make_harness, tmp_path):
    h = queued_open(make_harness, tmp_path)
    with SilentServer() as silent:
        proc = claimer(tmp_path / "patrol.sqlite", f"http://127.0.0.1:{silent.port}/hook")
        try:
            wait_until(lambda: claimed_by(h) is not None, 30, "the other process claims the call")
            assert claimed_by(h).split("/")[1] == str(proc.pid)
            assert h.service.drain_outbox() == 0  # it lives and holds the claim: nobody else sends it
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    killed_at = time.monotonic()
    assert h.service.drain_outbox() == 1  # no force, no lease expiry: the claimer is gone
    assert time.monotonic() - killed_at < 30
    assert not h.service.outbox.pending()
    with h.store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.builtin_tickets)).scalar_one() == 1


def test_liveness_of_claims():
    me = liveness.identity()
    host, pid, started = me.rsplit("/", 2)
    assert liveness.alive(me) is True
    assert liveness.alive(f"{host}/{pid}/{float(started) - 1000:.2f}") is False  # a reused PID is not the claimer
    assert liveness.alive(f"{host}/4194303/0.00") is False  # beyond pid_max: no such process
    assert liveness.alive(f"other-host.example/{pid}/{started}") is None  # cannot tell: the lease decides
    assert liveness.alive("garbage") is None


def test_a_store_of_the_previous_version_gains_the_claim_column(tmp_path):
    from agent.context import store_components
    from agent.store import Store

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    Store.open(url, "acme", store_components()).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # back to version 1's outbox, as an older Patrol left it
        conn.execute(sa.text("ALTER TABLE outbox DROP COLUMN claimed_by"))
        conn.execute(sa.text("UPDATE schema_migrations SET version = 1 WHERE component = 'ticketing'"))
    engine.dispose()
    Store.open(url, "acme", store_components()).close()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert "claimed_by" in {c["name"] for c in sa.inspect(conn).get_columns("outbox")}
        from agent.ticketing.schema import TICKETING

        latest = max(m.version for m in TICKETING.migrations)
        assert conn.execute(sa.text("SELECT version FROM schema_migrations WHERE component = 'ticketing'")).scalar() == latest
    engine.dispose()
