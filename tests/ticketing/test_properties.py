"""Property tests over random result sequences, settings and backend outages.

- never two open tickets for one fingerprint, in the backend or in Patrol's own view, whatever the grouping;
- once everything recovers (or stops being reported) and the outbox drains, every finding is resolved and so is
  every ticket (none left open, no call left waiting).
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from agent.context import store_components
from agent.store import Store
from agent.ticketing import queries, schema
from agent.ticketing.service import TicketingService
from collectors.base import State
from tests.ticketing.conftest import START, Clock, FlakyBackend, inventory_with_switch, result, run_of, settings_with

KEYS = [("sw1", "switch.reachability", ""), ("pc-00", "system.disk", "/"), ("pc-00", "system.cpu", ""),
        ("pc-01", "system.disk", "/"), ("pc-02", "system", "")]
# None: the item is missing from its run (removed, or the run did not report it this time).
STATES = st.sampled_from([State.OK, State.OK, State.WARN, State.CRIT, State.UNKNOWN, None])


def active_per_fingerprint(store: Store) -> Counter:
    with store.engine.connect() as conn:
        backend = Counter(r.fingerprint for r in conn.execute(
            sa.select(schema.builtin_tickets.c.fingerprint).where(schema.builtin_tickets.c.status != "resolved")))
        local = Counter(r.fingerprint for r in conn.execute(
            sa.select(schema.tickets.c.fingerprint).where(schema.tickets.c.status != "resolved")))
    return backend + Counter({f"local:{k}": v for k, v in local.items()})


cycles = st.lists(st.tuples(st.lists(STATES, min_size=len(KEYS), max_size=len(KEYS)),
                            st.sampled_from(["up", "up", "up", "down", "refuse"]),
                            st.sampled_from([1, 5, 5, 30, 240])),
                  min_size=1, max_size=40)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cycles=cycles, open_after=st.integers(1, 3), resolve_after=st.integers(1, 3),
       storm_limit=st.integers(1, 4), flap_threshold=st.integers(2, 6), reopen_window_s=st.sampled_from([0, 600, 86400]),
       grouping=st.sampled_from(["device", "device_check", "finding"]))
def test_one_open_ticket_per_fingerprint_and_everything_resolves(cycles, open_after, resolve_after, storm_limit,
                                                                 flap_threshold, reopen_window_s, grouping):
    settings = settings_with(storm_limit=storm_limit, flap_threshold=flap_threshold, reopen_window_s=reopen_window_s,
                             outbox={"retry_base_s": 10, "retry_max_s": 600}, grouping=grouping)
    data = settings.model_dump(mode="json")
    for family in ("system", "switch"):
        data["checks"][family]["findings"] = {"open_after": open_after, "resolve_after": resolve_after}
    settings = type(settings).model_validate(data)
    store = Store.open("sqlite:///:memory:", "acme", store_components())
    clock = Clock(START)
    backend = FlakyBackend(store.engine, clock)
    service = TicketingService(settings, store, inventory_with_switch(3), clock, backend=backend, notify=lambda p: None)
    try:
        for states, mode, minutes in cycles:
            backend.mode = mode
            at = clock.advance(minutes=minutes)
            present = [result(t, c, s, at, i) for (t, c, i), s in zip(KEYS, states) if s is not None]
            if present:
                service.process(run_of(*present))
            assert all(n == 1 for n in active_per_fingerprint(store).values())
        # Everything recovers, the backend comes back.
        backend.mode = "up"
        clock.advance(hours=3)
        for _ in range(resolve_after + 1):
            at = clock.advance(minutes=5)
            service.process(run_of(*(result(t, c, State.OK, at, i) for t, c, i in KEYS)))
        for _ in range(20):
            clock.advance(hours=1)
            service.drain_outbox()
            if not service.outbox.pending():
                break
        assert not service.outbox.pending()
        assert not queries.open_findings(store)
        assert not queries.open_tickets(store)
        assert active_per_fingerprint(store) == Counter()
    finally:
        store.close()
