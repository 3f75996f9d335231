"""The asset archive: each asset's versions, deduplicated by content hash, and its changes.

``record`` is called with every capture (the local agent's own, a pushed one on the site
collector, an SNMP poll). A capture whose content hash equals the asset's current one adds
nothing but the time it was seen; one with a new content becomes a new version, stored
with the list of differences from the previous one (diff.py), in one transaction.

Storage: only the current version and keyframes keep their body (schema.py); an older
version is rebuilt from the keyframe before it and the changes recorded since
(``snapshot_at``). Each step is checked when it is recorded: if applying the changes to the
previous version does not give the new one exactly, the new version is kept whole.

History only moves forward: a capture older than the newest one already recorded for the
asset (an agent's outbox delivering late) cannot rewrite what came after it, so its content
is ignored (its page counters are still kept as readings).
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from agent.assets.diff import Change, apply, diff
from agent.assets.model import AssetSnapshot, Gap, SnapshotError, from_json, to_json
from agent.assets.schema import KEYFRAME_EVERY, asset_changes, asset_counters, asset_current, asset_snapshots
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
    data["gaps"] = []  # in their own column: a rebuilt version gets its own
    return zlib.compress(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(), 6)


def _unpack(body: bytes, gaps: list, asset_id: str) -> AssetSnapshot:
    try:
        data = json.loads(zlib.decompress(body))
        data["gaps"] = gaps
        return from_json(data)
    except (zlib.error, ValueError, SnapshotError) as exc:
        raise ArchiveError(f"the stored snapshot of {asset_id!r} cannot be read: {exc}") from None


def _gaps(snapshot: AssetSnapshot) -> list[dict[str, str]]:
    return [{"part": g.part, "reason": g.reason} for g in snapshot.gaps]


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
        changes: list[Change] = []
        keyframe = cur is None
        if cur is not None:
            previous = _body_of(conn, cur.snapshot_id, asset_id)
            changes = diff(previous, snapshot, at)
            keyframe = _versions(conn, site, asset_id) % KEYFRAME_EVERY == 0 or not _rebuilds(previous, changes, snapshot)
        snapshot_id = conn.execute(asset_snapshots.insert().values(
            site=site, asset_id=asset_id, at=at, hash=digest, kind=snapshot.kind, keyframe=keyframe,
            body=_pack(snapshot), gaps=_gaps(snapshot))).inserted_primary_key[0]
        if cur is not None:  # superseded: rebuilt from changes from now on, unless a keyframe
            conn.execute(asset_snapshots.update().where(asset_snapshots.c.id == cur.snapshot_id,
                                                        asset_snapshots.c.keyframe.is_(False)).values(body=None))
        if changes:
            conn.execute(asset_changes.insert(), [
                {"site": site, "asset_id": asset_id, "at": at, "snapshot_id": snapshot_id, "category": c.category,
                 "path": c.path, "field": c.field, "before": c.before, "after": c.after} for c in changes])
        upsert(conn, cur_t, [{"site": site, "asset_id": asset_id, "snapshot_id": snapshot_id, "hash": digest,
                              "kind": snapshot.kind, "first_seen": cur.first_seen if cur is not None else at,
                              "changed_at": at, "last_seen": at}], ["site", "asset_id"])
    return Recorded(True, tuple(changes), first=cur is None)


def _body_of(conn: sa.Connection, snapshot_id: int, asset_id: str) -> AssetSnapshot:
    row = conn.execute(sa.select(asset_snapshots.c.body, asset_snapshots.c.gaps)
                       .where(asset_snapshots.c.id == snapshot_id)).one()
    return _unpack(row.body, row.gaps, asset_id)


def _versions(conn: sa.Connection, site: str, asset_id: str) -> int:
    t = asset_snapshots
    return conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.site == site, t.c.asset_id == asset_id)).scalar_one()


def _rebuilds(previous: AssetSnapshot, changes: Sequence[Change], snapshot: AssetSnapshot) -> bool:
    """Whether the recorded changes rebuild ``snapshot`` from ``previous`` exactly."""
    try:
        return apply(previous, changes, snapshot.captured_at).content_hash() == snapshot.content_hash()
    except (SnapshotError, KeyError, TypeError, ValueError):
        return False


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
    query = (sa.select(c, s.c.body, s.c.gaps).join(s, s.c.id == c.c.snapshot_id).where(c.c.site == site)
             .order_by(c.c.asset_id))
    if asset_id is not None:
        query = query.where(c.c.asset_id == asset_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [CurrentAsset(r.site, r.asset_id, r.kind, r.hash, r.first_seen, r.changed_at, r.last_seen,
                         _unpack(r.body, r.gaps, r.asset_id)) for r in rows]


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
    t = asset_snapshots
    with engine.connect() as conn:
        return [Version(r.at, r.hash) for r in conn.execute(
            sa.select(t.c.at, t.c.hash).where(t.c.site == site, t.c.asset_id == asset_id).order_by(t.c.id))]


def snapshot_at(engine: sa.Engine, site: str, asset_id: str, at: datetime) -> AssetSnapshot | None:
    """The asset as it was at ``at`` (the version current then), or None before its first capture.

    A version without a body is rebuilt: the nearest keyframe before it, then each later
    version's recorded changes in order (at most KEYFRAME_EVERY steps)."""
    t, c = asset_snapshots, asset_changes
    mine = (t.c.site == site, t.c.asset_id == asset_id)
    with engine.connect() as conn:
        target = conn.execute(sa.select(t.c.id, t.c.at, t.c.body, t.c.gaps).where(*mine, t.c.at <= at)
                              .order_by(t.c.id.desc()).limit(1)).first()
        if target is None:
            return None
        if target.body is not None:
            return _unpack(target.body, target.gaps, asset_id)
        base = conn.execute(sa.select(t.c.id, t.c.body, t.c.gaps).where(*mine, t.c.id < target.id,
                                                                           t.c.body.is_not(None))
                            .order_by(t.c.id.desc()).limit(1)).one()
        steps = conn.execute(sa.select(t.c.id, t.c.at).where(*mine, t.c.id > base.id, t.c.id <= target.id)
                             .order_by(t.c.id)).all()
        changes: dict[int, list[Change]] = defaultdict(list)
        for r in conn.execute(sa.select(c).where(c.c.site == site, c.c.asset_id == asset_id,
                                                 c.c.snapshot_id > base.id, c.c.snapshot_id <= target.id)
                              .order_by(c.c.id)):
            changes[r.snapshot_id].append(Change(r.at, r.path, r.before, r.after, r.category, r.field))
    snapshot = _unpack(base.body, base.gaps, asset_id)
    try:
        for step in steps:
            snapshot = apply(snapshot, changes.get(step.id, ()), step.at)
    except (SnapshotError, KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"the version of {asset_id!r} at {target.at.isoformat()} cannot be rebuilt: {exc}") from None
    return replace(snapshot, gaps=tuple(Gap(g["part"], g["reason"]) for g in target.gaps))


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

