"""The asset archive's tables (component ``assets``; see agent/store/migrations.py).

- ``asset_snapshots``: one row per *version* of an asset: each time its content hash
  changed (its first capture included), with the time it became current. A daily capture
  that found nothing new adds no row: it only moves ``asset_current.last_seen``. The body
  (the canonical JSON, zlib-compressed) is kept for the current version and for
  *keyframes* (the first version, every ``KEYFRAME_EVERY``-th, and any version the recorded
  changes could not rebuild exactly); the others are rebuilt from the nearest keyframe
  before them plus the recorded changes (archive.snapshot_at).
- ``asset_current``: one row per asset: its current version, since when, last seen.
- ``asset_changes``: every difference between consecutive versions: time, field path,
  before and after (JSON), category (hardware, firmware, software, ...).
- ``asset_counters``: printer page counter readings (they change every day and are not
  part of the content; see model.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from agent.store.migrations import Component, Migration, create_tables
from agent.store.types import UTCDateTime

metadata = sa.MetaData()

asset_snapshots = sa.Table(
    "asset_snapshots", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("asset_id", sa.String(128), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),  # when this version became current
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("keyframe", sa.Boolean, nullable=False),
    # zlib(canonical JSON without page counters and gaps); NULL once superseded unless a keyframe
    sa.Column("body", sa.LargeBinary, nullable=True),
    sa.Column("gaps", sa.JSON, nullable=False),  # what this capture could not read (not in the changes)
    sa.Index("ix_asset_snapshots_asset", "site", "asset_id", "id"),
)

asset_current = sa.Table(
    "asset_current", metadata,
    sa.Column("site", sa.String(128), primary_key=True),
    sa.Column("asset_id", sa.String(128), primary_key=True),
    sa.Column("snapshot_id", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),  # the asset's first capture
    sa.Column("changed_at", UTCDateTime, nullable=False),  # when the current content was first captured
    sa.Column("last_seen", UTCDateTime, nullable=False),  # the latest capture (same content or not)
)

asset_changes = sa.Table(
    "asset_changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("asset_id", sa.String(128), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("snapshot_id", sa.Integer, nullable=False),  # the version this change led to
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=True),
    sa.Index("ix_asset_changes_asset", "site", "asset_id", "at"),
    sa.Index("ix_asset_changes_at", "site", "at"),
)

asset_counters = sa.Table(
    "asset_counters", metadata,
    sa.Column("site", sa.String(128), primary_key=True),
    sa.Column("asset_id", sa.String(128), primary_key=True),
    sa.Column("marker", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("unit", sa.String(32), nullable=False),
)

KEYFRAME_EVERY = 30  # a version rebuilt from changes is at most this many steps from a stored body

ASSETS = Component("assets", [
    Migration(1, "asset archive: versions (bodies of keyframes and the current one), current, changes, page counters",
              create_tables(asset_snapshots, asset_current, asset_changes, asset_counters)),
])
