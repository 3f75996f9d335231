"""Message ids on results: one English template gives the summary and the MessageRef; the ref
survives the worker wire, the collector push and the store (old readers and writers without it
still work)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from agent.fleet.protocol import ResultBatch, run_from_wire, run_to_wire
from agent.store import Store
from agent.wire import WireError, run_from_json, run_to_json
from collectors import messages
from collectors.base import CheckResult, CheckRun, MessageRef, State
from collectors.messages import Messages

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
M = Messages({
    "t.port": "{parts}",
    "t.went": "went {oper} since the last poll",
    "t.down": "down",
    "t.rate": "errors {rate:.2f}/s",
}, messages.COMMON)


def _port_said():
    return M.say("t.port", parts=(M.ref("t.went", oper=M.ref("t.down")), M.ref("t.rate", rate=0.256)))


def test_say_list_is_say_of_parts_already_said():
    """A list sentence made from parts already said: the same text and ref as say() makes."""
    went, rate = M.say("t.went", oper=M.ref("t.down")), M.say("t.rate", rate=0.256)
    for parts in ((went, "1 Gbit/s", rate), (went,), ("10 Mbit/s",), (), (went, rate.ref), (went.ref, "x", rate.ref)):
        quick = M.say_list("t.port", "parts", parts)
        said = M.say("t.port", parts=tuple(p.ref if isinstance(p, messages.Said) else p for p in parts))
        assert (quick.text, quick.ref) == (said.text, said.ref)
    assert M.say_list("t.port", "parts", (went, rate)) == _port_said()


def _run(said, collector="switch"):
    return CheckRun(collector, "sw-1", T0, 0.3, (
        CheckResult("switch.port", "sw-1", "Gi0/1", State.WARN, said.text, observed_at=T0, message=said.ref),
        CheckResult("switch.ports", "sw-1", "", State.OK, "24 ports", observed_at=T0)))


def test_one_template_gives_the_english_summary_and_the_ref():
    said = _port_said()
    assert said.text == "went down since the last poll, errors 0.26/s"
    assert said.ref.id == "t.port"
    zh = {"t.port": "{parts}", "t.went": "自上次巡检以来变为{oper}", "t.down": "断开", "t.rate": "错包 {rate:.2f} 个/秒"}
    assert messages.render(said.ref, zh.get, "、") == "自上次巡检以来变为断开、错包 0.26 个/秒"
    assert messages.render(said.ref, {"t.port": "{parts}"}.get) is None  # a nested id unknown there: fall back
    assert messages.render(messages.duration(3 * 86400 + 7200), messages.COMMON.templates.get) == "3d 2h"
    with pytest.raises(messages.MessageError, match="not declared"):
        M.say("t.nope")


def test_the_ref_survives_the_worker_wire_and_a_line_without_it_still_reads():
    run = _run(_port_said())
    back = run_from_json(json.loads(json.dumps(run_to_json(run))))
    assert back == run
    old = run_to_json(run)
    for r in old["results"]:
        r.pop("message", None)  # a worker of the previous version
    assert [r.message for r in run_from_json(old).results] == [None, None]
    bad = run_to_json(run)
    bad["results"][0]["message"] = {"id": "t.port", "params": {"x": True}}
    with pytest.raises(WireError, match="bad check run"):
        run_from_json(bad)


def test_the_ref_survives_the_collector_push_and_old_agents_are_accepted():
    run = _run(_port_said())
    body = {"batch_id": "b" * 16, "seq": 1, "sent_at": T0.isoformat(), "hostname": "pc", "runs": [run_to_wire(run)]}
    batch = ResultBatch.model_validate_json(json.dumps(body))
    assert run_from_wire(batch.runs[0], "sw-1") == run
    for r in body["runs"][0]["results"]:
        r.pop("message", None)  # an agent of the previous version
    batch = ResultBatch.model_validate_json(json.dumps(body))
    assert [r.message for r in run_from_wire(batch.runs[0], "sw-1").results] == [None, None]


def _nested(depth: int) -> dict:
    message: dict = {"id": "t.leaf", "params": {}}
    for _ in range(depth):
        message = {"id": "t.x", "params": {"v": [1, message]}}
    return message


@pytest.mark.parametrize("message", [
    {"id": "Not A Name", "params": {}},
    _nested(messages.MAX_DEPTH + 2),  # nested too deep
    {"id": "t.x", "params": {"v": None}},
    {"id": "t.x", "params": {"1bad": "v"}},
    {"id": "t.x", "params": {"v": "x" * 5000}},  # larger than a pushed message may be
    ["not", "an", "object"],
], ids=["bad-id", "too-deep", "null-param", "bad-name", "too-large", "list"])
def test_a_pushed_message_that_is_not_one_is_dropped_and_the_result_kept(message):
    body = {"batch_id": "b" * 16, "seq": 1, "sent_at": T0.isoformat(), "hostname": "pc", "runs": [{
        "collector": "system", "started_at": T0.isoformat(), "duration_s": 1, "results": [{
            "check": "system.cpu", "state": "CRIT", "summary": "CPU 99% busy", "observed_at": T0.isoformat(),
            "message": message}]}]}
    try:
        batch = ResultBatch.model_validate_json(json.dumps(body))
    except ValueError:  # the protocol refuses a body whose message is not even an object: a 422, not a crash
        assert not isinstance(message, dict)
        return
    (result,) = run_from_wire(batch.runs[0], "pc").results
    assert result.summary == "CPU 99% busy" and result.message is None


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return Store.open(f"sqlite:///{tmp_path / 'p.sqlite'}", "hq")
    s = Store.open(request.getfixturevalue("postgres_url"), "hq")
    from agent.store import core
    with s.engine.begin() as conn:
        for table in (core.results, core.runs, core.latest, core.audit):
            conn.execute(table.delete())
    return s


def test_the_store_keeps_the_ref_beside_the_summary(store):
    run = _run(_port_said())
    store.record_run(run)
    latest = {s.result.check: s.result for s in store.latest()}
    assert latest["switch.port"].message == run.results[0].message
    assert latest["switch.ports"].message is None  # stored as SQL NULL, not JSON null
    assert list(store.results_between(T0, T0.replace(hour=9))) == list(run.results)


def test_core_migration_3_adds_the_message_columns_to_a_version_2_store(tmp_path):
    from agent.store import core

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    # A store as version 2 made it: the tables without the message columns, a result in them.
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE schema_migrations (component VARCHAR(64) PRIMARY KEY, version INTEGER NOT NULL, "
            "applied_at DATETIME NOT NULL)"))
        conn.execute(sa.text("INSERT INTO schema_migrations VALUES ('core', 2, '2026-11-01 00:00:00')"))
    old_meta = sa.MetaData()
    for table in (core.runs, core.results, core.latest, core.audit):
        sa.Table(table.name, old_meta, *[sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                                             for c in table.columns if c.name != "message"])
    old_meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO results (run_id, site, target, \"check\", item, state, summary, details, metrics, observed_at) "
            "VALUES (1, 'hq', 'pc', 'system.cpu', '', 'ok', 'CPU 3% busy', '', '[]', '2026-11-01 08:00:00.000000')"))
    engine.dispose()
    s = Store.open(url, "hq")
    (old,) = s.results_between(T0.replace(hour=0), T0.replace(hour=23))
    assert old.summary == "CPU 3% busy" and old.message is None
    s.record_run(_run(_port_said()))
    assert {r.check: r.message is not None for r in s.results_between(T0, T0.replace(hour=9))} == {
        "switch.port": True, "switch.ports": False, "system.cpu": False}


def test_a_message_ref_is_a_plain_frozen_value():
    ref = MessageRef("t.down")
    assert ref == MessageRef("t.down", ()) and hash(ref) == hash(MessageRef("t.down"))
    assert messages.from_json(messages.to_json(_port_said().ref)) == _port_said().ref


def test_said_sentences_and_plain_refs_are_reused_not_changed() -> None:
    """Messages caches sentences it has said and refs without parameters (a switch poll says
    the same few thousands of times); a cached sentence is the same as a fresh one."""
    from collectors.messages import Messages

    m = Messages({"p.up": "up", "p.port": "{parts}", "p.rate": "errors {rate:.2f}/s"})
    assert m.ref("p.up") is m.ref("p.up")
    first = m.say("p.port", parts=(m.ref("p.up"), "1 Gbit/s"))
    again = m.say("p.port", parts=(m.ref("p.up"), "1 Gbit/s"))
    assert first == again and first.text == "up, 1 Gbit/s"
    assert m.say("p.port", parts=(m.ref("p.rate", rate=2.0),)).text == "errors 2.00/s"
    assert m.say("p.port", parts=(m.ref("p.rate", rate=3.0),)).text == "errors 3.00/s"
    assert m.say("p.port", parts=["a", "b"]).text  # an unhashable parameter is said without the cache
