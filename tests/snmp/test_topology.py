"""Neighbours of real recordings (snmpsim) through the switch check into the topology store,
with history: links appear, stay, go (gone_at) and come back as a new episode."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.context import store_components
from agent.store import Store
from agent.topology.queries import history, links
from agent.topology.record import parse_details, record_run
from collectors.base import CheckRun
from tests.snmp.conftest import T0, device, later


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path}/store.sqlite", "hq", store_components())
    yield s
    s.close()


def run_of(results, at) -> CheckRun:
    return CheckRun("switch", "sw1", at, 0.1, tuple(results))


def test_links_are_stored_with_history(snmpsim, poll, store, tmp_path) -> None:
    state = tmp_path / "state"
    record_run(store.engine, "hq", run_of(poll(device(snmpsim.port, "cisco-c3560"), at=T0, state_dir=state), T0))
    now = links(store.engine, "hq", device="sw1")
    assert len(now) == 9
    first = now[0]
    assert (first.local_port, first.protocol, first.remote_name, first.remote_port, first.mgmt_address) == (
        "Gi0/49", "cdp", "OLD-ShiTang-WIRELESS", "GigabitEthernet0/2", "10.1.100.181")
    assert first.first_seen == T0 and first.gone_at is None

    gone_at = later(300)
    record_run(store.engine, "hq", run_of(poll(device(snmpsim.port, "synth/c3560-neighbor-gone"), at=gone_at,
                                               state_dir=state), gone_at))
    assert links(store.engine, "hq", device="sw1") == []
    assert len(links(store.engine, "hq", at=T0 + timedelta(seconds=1))) == 9  # as it was then
    back = later(600)
    record_run(store.engine, "hq", run_of(poll(device(snmpsim.port, "cisco-c3560"), at=back, state_dir=state), back))
    episodes = [(lk.first_seen, lk.gone_at) for lk in history(store.engine, "hq", "sw1")
                if lk.remote_name == "OLD-ShiTang-WIRELESS"]
    assert episodes == [(T0, gone_at), (back, None)]


def test_unknown_neighbours_change_nothing(snmpsim, poll, store) -> None:
    record_run(store.engine, "hq", run_of(poll(device(snmpsim.port, "cisco-c3560")), T0))
    # the Ruijie N18010's LLDP table cannot be walked: its switch.neighbors is UNKNOWN
    record_run(store.engine, "hq", run_of(poll(device(snmpsim.port, "ruijie-n18010")), later(300)))
    assert len(links(store.engine, "hq", device="sw1")) == 9


def test_device_text_in_details_is_data() -> None:
    details = "\n".join(['{"protocol": "lldp", "local_port": "Gi0/1", "remote_name": "<script>", "remote_port": "x"}',
                         "not json", '{"remote_name": 5}', '["a"]', '{"protocol": "cdp", "remote_name": ""}'])
    assert parse_details(details) == [{"local_port": "Gi0/1", "protocol": "lldp", "remote_name": "<script>",
                                       "remote_port": "x", "chassis_id": "", "mgmt_address": ""}]


def test_the_run_recorder_keeps_the_links(snmpsim, poll, store) -> None:
    """The path every cycle takes (agent/cycle.py): stored run -> neighbour links."""
    from types import SimpleNamespace

    from agent.cycle import RunRecorder

    RunRecorder(SimpleNamespace(store=store))(run_of(poll(device(snmpsim.port, "cisco-n5000")), T0))
    assert {lk.protocol for lk in links(store.engine, "hq")} == {"lldp", "cdp"}
    assert len(links(store.engine, "hq", device="sw1")) == 14


def _neighbors_run(device_name, at, links_seen):
    """A switch run whose switch.neighbors result lists ``links_seen`` as (local port, remote)."""
    import json

    from collectors.base import CheckResult, State

    details = "\n".join(json.dumps({"local_port": port, "protocol": "lldp", "remote_name": remote,
                                    "remote_port": "Gi0/1", "chassis_id": f"id-{remote}", "mgmt_address": "10.0.0.9"})
                        for port, remote in links_seen)
    result = CheckResult("switch.neighbors", device_name, "", State.OK, f"{len(links_seen)} neighbours", details,
                         observed_at=at)
    return CheckRun("switch", device_name, at, 0.1, (result,))


def test_a_batch_of_runs_leaves_the_history_one_by_one_leaves(tmp_path) -> None:
    """record_runs (a replica's batch: one read, one statement per kind of change) against
    record_run per run, with a device polled twice in the batch and links coming and going."""
    import sqlalchemy as sa

    from agent.topology.record import record_runs
    from agent.topology.schema import neighbor_links

    t1, t2 = T0 + timedelta(minutes=5), T0 + timedelta(minutes=10)
    before = [_neighbors_run("sw1", T0, [("Gi0/1", "a"), ("Gi0/2", "b")]),
              _neighbors_run("sw2", T0, [("Gi0/1", "c")])]
    batch = [_neighbors_run("sw1", t1, [("Gi0/1", "a"), ("Gi0/3", "d")]),  # b gone, d new, a seen again
             _neighbors_run("sw2", t1, [("Gi0/1", "c"), ("Gi0/1", "c")]),  # listed twice: one link
             _neighbors_run("sw3", t1, [("Gi0/9", "e")]),
             _neighbors_run("sw1", t2, [("Gi0/2", "b"), ("Gi0/3", "d")])]  # a gone, b back as a new episode

    def table(engine):
        with engine.connect() as conn:
            rows = conn.execute(sa.select(neighbor_links).order_by(neighbor_links.c.id)).all()
        return [tuple(r._mapping[c] for c in r._mapping if c != "id") for r in rows]

    stores = [Store.open(f"sqlite:///{tmp_path}/{name}.sqlite", "hq", store_components()) for name in ("one", "batch")]
    try:
        for s in stores:
            for run in before:
                record_run(s.engine, "hq", run)
        changes = sum(record_run(stores[0].engine, "hq", run) for run in batch)
        with stores[1].engine.begin() as conn:
            assert record_runs(conn, "hq", batch) == changes
        assert table(stores[1].engine) == table(stores[0].engine)
        open_now = {(l.device, l.remote_name) for l in links(stores[1].engine, "hq")}
        assert open_now == {("sw1", "b"), ("sw1", "d"), ("sw2", "c"), ("sw3", "e")}
    finally:
        for s in stores:
            s.close()
