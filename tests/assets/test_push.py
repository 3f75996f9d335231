"""Asset snapshots from the agent to the collector: the agent's spool against a recording
HTTPS server (what it sends, what it does with each answer), and the real `patrol serve`
route (validation, filing under the agent's own target, deduplication)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import logging
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from agent.assets.model import AssetSnapshot, Identity, canonical_json, to_json
from agent.fleet.protocol import ASSETS_PATH, AssetPush
from agent.run.asset_push import AssetSpool
from tests.assets import recording
from tests.fleet.conftest import collector, make_pki, make_pusher, pki  # noqa: F401 - fixtures

F = Path(__file__).parent / "fixtures"
AT = datetime(2026, 12, 6, 6, 0, tzinfo=timezone.utc)
HAS_ARCHIVE = importlib.util.find_spec("agent.assets.archive") is not None


def snapshot() -> AssetSnapshot:
    from agent.assets.capture import linux

    return linux.parse(recording.load(F / "linux" / "container-debian12.json"), AT)


def spool_of(pusher) -> AssetSpool:
    return AssetSpool(pusher.link.paths.root)


def test_sent_once_per_content(collector, make_pusher):
    pusher = make_pusher(collector.url)
    collector.script.default[ASSETS_PATH] = lambda seen: (200, {"hash": seen.body["hash"], "stored": True}, {})
    spool, snap = spool_of(pusher), snapshot()
    assert spool.queue(snap.content_hash(), to_json(snap))
    outcome = spool.send(pusher)
    assert (outcome.sent, outcome.stopped) == (True, None)
    [seen] = collector.requests_to(ASSETS_PATH)
    assert seen.headers["content-encoding"] == "gzip" and seen.headers["authorization"].startswith("Bearer ")
    body = AssetPush.model_validate(seen.body)  # the collector's own model takes it
    assert body.hash == snap.content_hash() and body.hostname == "pc-0412"
    # the next day's capture of the same computer: same content, nothing queued, nothing sent
    later = replace(snap, captured_at=datetime(2026, 12, 7, 6, 0, tzinfo=timezone.utc))
    assert not spool.queue(later.content_hash(), to_json(later))
    assert spool.send(pusher).sent is False and len(collector.requests_to(ASSETS_PATH)) == 1


def test_newest_snapshot_replaces_an_unsent_one(collector, make_pusher):
    pusher = make_pusher(collector.url)
    spool, snap = spool_of(pusher), snapshot()
    spool.queue(snap.content_hash(), to_json(snap))
    changed = replace(snap, identity=Identity(maker="Dell Inc.", serial="8XK2Q33"))
    spool.queue(changed.content_hash(), to_json(changed))
    assert spool.pending()["hash"] == changed.content_hash()


def test_an_older_collector_without_the_route_keeps_it_and_says_so_once(collector, make_pusher, caplog):
    pusher = make_pusher(collector.url)  # the recording server answers 404 for an unscripted path
    spool, snap = spool_of(pusher), snapshot()
    spool.queue(snap.content_hash(), to_json(snap))
    with caplog.at_level(logging.WARNING):
        first, second = spool.send(pusher), spool.send(pusher)
    assert first.stopped.startswith("HTTP 404") and second.stopped.startswith("HTTP 404")
    assert spool.pending() is not None
    assert sum("does not take asset snapshots" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("status, kept", [(422, False), (413, False), (500, True), (401, True)])
def test_answers(collector, make_pusher, status, kept):
    pusher = make_pusher(collector.url)
    collector.script.push(ASSETS_PATH, (status, {"detail": "no"}, {}))
    spool, snap = spool_of(pusher), snapshot()
    spool.queue(snap.content_hash(), to_json(snap))
    assert spool.send(pusher).sent is False
    assert (spool.pending() is not None) is kept


def test_unreachable_and_unenrolled_keep_it(tmp_path, make_pusher):
    from tests.support.proc import free_port

    pusher = make_pusher(f"https://127.0.0.1:{free_port()}")
    spool, snap = spool_of(pusher), snapshot()
    spool.queue(snap.content_hash(), to_json(snap))
    assert spool.send(pusher).stopped.startswith("unreachable")
    assert spool.send(make_pusher("https://127.0.0.1:9", credential=None)).stopped == "not enrolled"
    assert spool.pending() is not None


def test_a_torn_pending_file_is_dropped_not_a_crash(tmp_path):
    spool = AssetSpool(tmp_path)
    spool.pending_path.write_bytes(b"\x1f\x8b\x08garbage")
    assert spool.pending() is None and not spool.pending_path.exists()


# --- the real collector -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_collector(tmp_path_factory):
    from tests.support.collector import CollectorProcess

    with CollectorProcess.start(tmp_path_factory.mktemp("assets-collector")) as server:
        yield server


def _post(agent, body: dict | bytes, *, credential: bool = True):
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip", **(agent.headers if credential else {})}
    return agent.session.post(agent.collector.url + ASSETS_PATH, data=gzip.compress(raw), headers=headers, timeout=30)


def test_real_collector_files_the_snapshot_under_the_agents_target(real_collector):
    agent = real_collector.enroll("pc-assets-1")
    snap = snapshot()
    body = {"hostname": "someone-else", "hash": snap.content_hash(), "snapshot": json.loads(canonical_json(snap))}
    first = _post(agent, body)
    if not HAS_ARCHIVE:  # a build without the archive answers as an older collector does
        assert first.status_code == 404 and "keeps no asset archive" in first.json()["detail"]
        return
    assert first.status_code == 200 and first.json() == {"hash": snap.content_hash(), "stored": True}
    again = _post(agent, body)
    assert again.json()["stored"] is False  # same content: the archive has it
    import sqlalchemy as sa

    from agent.assets import archive

    engine = sa.create_engine(f"sqlite:///{real_collector.state_dir / 'patrol.sqlite'}")
    try:
        [current] = archive.current(engine, agent.site, agent.target)
    finally:
        engine.dispose()
    assert current.asset_id == agent.target == "pc-assets-1"


@pytest.mark.parametrize("change, status, detail", [
    (lambda b: b["snapshot"]["disks"][0].update(size_bytes="big"), 422, "snapshot.disks[0].size_bytes"),
    (lambda b: b["snapshot"].update(kind="network"), 422, "an agent pushes a computer"),
    (lambda b: b.update(hash="0" * 64), 422, "does not match"),
    (lambda b: b.update(hash="not-hex"), 422, "hash"),
    (lambda b: b["snapshot"].update(colour="red"), 422, "unknown field 'colour'"),
])
def test_real_collector_refuses_bad_snapshots_naming_the_field(real_collector, change, status, detail):
    agent = real_collector.enroll("pc-assets-2")
    snap = snapshot()
    body = {"hostname": "pc-assets-2", "hash": snap.content_hash(), "snapshot": json.loads(canonical_json(snap))}
    change(body)
    answer = _post(agent, body)
    assert answer.status_code == status and detail in answer.json()["detail"]


def test_real_collector_wants_a_credential(real_collector):
    agent = real_collector.enroll("pc-assets-3")
    snap = snapshot()
    answer = _post(agent, {"hostname": "x", "hash": snap.content_hash(), "snapshot": to_json(snap)}, credential=False)
    assert answer.status_code == 401
