"""The asset archive: each asset's snapshots, deduplicated by content hash, and its changes.

``record`` is called with every capture (the local agent's own, a pushed one on the site
collector, an SNMP poll). A capture whose content hash equals the asset's current one adds
nothing but the time it was seen; one with a new content is stored once (compressed) with
the list of differences from the previous content (diff.py), in one transaction.

History only moves forward: a capture older than the newest one already recorded for the
asset (an agent's outbox delivering late) cannot rewrite what came after it, so its content
is ignored (its page counters are still kept as readings).
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from agent.assets.diff import Change, diff
from agent.assets.model import AssetSnapshot, from_json, to_json
from agent.assets.schema import asset_changes, asset_counters, asset_current, asset_snapshots, asset_versions
from agent.store.types import upsert

MAX_NAME = 128  # site and asset id columns


@dataclass(frozen=True, slots=True)
class Recorded:
    """What ``record`` did: ``stored`` when the content was new for the asset (its first
    capture included); ``changes`` from the previous content (empty for a first capture)."""

    stored: bool
    changes: tuple[Change, ...]
    first: bool = False


@dataclass(frozen=True, slots=True)
class CurrentAsset:
    site: str
    asset_id: str
    kind: str
    hash: str
    first_seen: datetime
    changed_at: datetime
    last_seen: datetime
    snapshot: AssetSnapshot


@dataclass(frozen=True, slots=True)
class Version:
    at: datetime
    hash: str


@dataclass(frozen=True, slots=True)
class CounterReading:
    marker: int
    at: datetime
    count: int
    unit: str


class ArchiveError(ValueError):
    """A name the archive cannot key on, or a stored snapshot that no longer decodes."""


def _check_names(site: str, asset_id: str) -> None:
    for label, value in (("site", site), ("asset id", asset_id)):
        if not value or len(value) > MAX_NAME:
            raise ArchiveError(f"{label} must be 1 to {MAX_NAME} characters, got {len(value)}")


def _pack(snapshot: AssetSnapshot) -> bytes:
    data = to_json(snapshot)
    data["counters"] = []  # readings live in asset_counters
    return zlib.compress(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(), 6)


def _unpack(body: bytes, asset_id: str) -> AssetSnapshot:
    from agent.assets.model import SnapshotError

    try:
        return from_json(json.loads(zlib.decompress(body)))
    except (zlib.error, ValueError, SnapshotError) as exc:
        raise ArchiveError(f"the stored snapshot of {asset_id!r} cannot be read: {exc}") from None


def record(engine: sa.Engine, site: str, asset_id: str, snapshot: AssetSnapshot,
           at: datetime | None = None) -> Recorded:
    """Keep one capture of ``asset_id`` (the target's name in the inventory); ``at``
    defaults to the snapshot's ``captured_at``."""
    _check_names(site, asset_id)
    at = at or snapshot.captured_at
    digest = snapshot.content_hash()
    cur_t = asset_current
    with engine.begin() as conn:
        cur = conn.execute(sa.select(cur_t).where(cur_t.c.site == site, cur_t.c.asset_id == asset_id)
                           .with_for_update()).first()
        _keep_counters(conn, site, asset_id, snapshot, at)
        if cur is not None and at < cur.last_seen:
            return Recorded(False, ())
        if cur is not None and cur.hash == digest:
            conn.execute(cur_t.update().where(cur_t.c.site == site, cur_t.c.asset_id == asset_id)
                         .values(last_seen=at))
            return Recorded(False, ())
        snapshot_id = _snapshot_id(conn, site, asset_id, digest, snapshot, at)
        version_id = conn.execute(asset_versions.insert().values(
            site=site, asset_id=asset_id, at=at, snapshot_id=snapshot_id)).inserted_primary_key[0]
        changes: list[Change] = []
        if cur is not None:
            previous = _unpack(conn.execute(sa.select(asset_snapshots.c.body)
                                            .where(asset_snapshots.c.id == cur.snapshot_id)).scalar_one(), asset_id)
            changes = diff(previous, snapshot, at)
        if changes:
            conn.execute(asset_changes.insert(), [
                {"site": site, "asset_id": asset_id, "at": at, "version_id": version_id, "category": c.category,
                 "path": c.path, "field": c.field, "before": c.before, "after": c.after} for c in changes])
        upsert(conn, cur_t, [{"site": site, "asset_id": asset_id, "snapshot_id": snapshot_id, "hash": digest,
                              "kind": snapshot.kind, "first_seen": cur.first_seen if cur is not None else at,
                              "changed_at": at, "last_seen": at}], ["site", "asset_id"])
    return Recorded(True, tuple(changes), first=cur is None)


def _snapshot_id(conn: sa.Connection, site: str, asset_id: str, digest: str, snapshot: AssetSnapshot,
                 at: datetime) -> int:
    t = asset_snapshots
    where = (t.c.site == site, t.c.asset_id == asset_id, t.c.hash == digest)
    existing = conn.execute(sa.select(t.c.id).where(*where)).scalar()
    if existing is not None:  # back to an earlier content (a module put back): stored once
        return existing
    return conn.execute(t.insert().values(site=site, asset_id=asset_id, hash=digest, kind=snapshot.kind,
                                          first_seen=at, body=_pack(snapshot))).inserted_primary_key[0]


def _keep_counters(conn: sa.Connection, site: str, asset_id: str, snapshot: AssetSnapshot, at: datetime) -> None:
    if not snapshot.counters:
        return
    t = asset_counters
    have = {row.marker for row in conn.execute(sa.select(t.c.marker).where(
        t.c.site == site, t.c.asset_id == asset_id, t.c.at == at))}
    rows = [{"site": site, "asset_id": asset_id, "marker": c.marker, "at": at, "count": c.count, "unit": c.unit}
            for c in snapshot.counters if c.marker not in have]
    if rows:
        conn.execute(t.insert(), rows)


# --- reading ---------------------------------------------------------------------------


def current(engine: sa.Engine, site: str, asset_id: str | None = None) -> list[CurrentAsset]:
    """The current snapshot of every asset of ``site`` (or of one), by asset id."""
    c, s = asset_current, asset_snapshots
    query = (sa.select(c, s.c.body).join(s, s.c.id == c.c.snapshot_id).where(c.c.site == site)
             .order_by(c.c.asset_id))
    if asset_id is not None:
        query = query.where(c.c.asset_id == asset_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [CurrentAsset(r.site, r.asset_id, r.kind, r.hash, r.first_seen, r.changed_at, r.last_seen,
                         _unpack(r.body, r.asset_id)) for r in rows]


def asset_ids(engine: sa.Engine, site: str) -> list[str]:
    """The archived assets of ``site`` (without reading their snapshots)."""
    c = asset_current
    with engine.connect() as conn:
        return list(conn.execute(sa.select(c.c.asset_id).where(c.c.site == site).order_by(c.c.asset_id)).scalars())


def history(engine: sa.Engine, site: str, asset_id: str, *, since: datetime | None = None,
            until: datetime | None = None) -> list[Change]:
    """The changes of one asset, oldest first."""
    return changes_between(engine, site, since, until, asset_ids=[asset_id]).get(asset_id, [])


def changes_between(engine: sa.Engine, site: str, since: datetime | None, until: datetime | None, *,
                    asset_ids: Sequence[str] | None = None,
                    categories: Iterable[str] | None = None) -> dict[str, list[Change]]:
    """Changes in [since, until) per asset id, oldest first (the report's appendix, findings)."""
    t = asset_changes
    query = sa.select(t).where(t.c.site == site).order_by(t.c.asset_id, t.c.at, t.c.id)
    if since is not None:
        query = query.where(t.c.at >= since)
    if until is not None:
        query = query.where(t.c.at < until)
    if asset_ids is not None:
        query = query.where(t.c.asset_id.in_(list(asset_ids)))
    if categories is not None:
        query = query.where(t.c.category.in_(list(categories)))
    out: dict[str, list[Change]] = defaultdict(list)
    with engine.connect() as conn:
        for r in conn.execute(query):
            out[r.asset_id].append(Change(r.at, r.path, r.before, r.after, r.category, r.field))
    return dict(out)


def versions(engine: sa.Engine, site: str, asset_id: str) -> list[Version]:
    """When each content of the asset became current, oldest first (its first capture first)."""
    v, s = asset_versions, asset_snapshots
    with engine.connect() as conn:
        return [Version(r.at, r.hash) for r in conn.execute(
            sa.select(v.c.at, s.c.hash).join(s, s.c.id == v.c.snapshot_id)
            .where(v.c.site == site, v.c.asset_id == asset_id).order_by(v.c.at, v.c.id))]


def snapshot_at(engine: sa.Engine, site: str, asset_id: str, at: datetime) -> AssetSnapshot | None:
    """The asset as it was at ``at`` (the content current then), or None before its first capture."""
    v, s = asset_versions, asset_snapshots
    with engine.connect() as conn:
        body = conn.execute(sa.select(s.c.body).join(v, v.c.snapshot_id == s.c.id)
                            .where(v.c.site == site, v.c.asset_id == asset_id, v.c.at <= at)
                            .order_by(v.c.at.desc(), v.c.id.desc()).limit(1)).scalar()
    return None if body is None else _unpack(body, asset_id)


def counter_readings(engine: sa.Engine, site: str, asset_id: str, *, since: datetime | None = None,
                     until: datetime | None = None) -> list[CounterReading]:
    t = asset_counters
    query = sa.select(t).where(t.c.site == site, t.c.asset_id == asset_id).order_by(t.c.at, t.c.marker)
    if since is not None:
        query = query.where(t.c.at >= since)
    if until is not None:
        query = query.where(t.c.at < until)
    with engine.connect() as conn:
        return [CounterReading(r.marker, r.at, r.count, r.unit) for r in conn.execute(query)]

