"""The asset archive's tables (component ``assets``; see agent/store/migrations.py).

- ``asset_snapshots``: each distinct content of an asset once (keyed by the snapshot's
  content hash), its canonical JSON zlib-compressed. A daily capture that found nothing new
  adds no row: it only moves ``asset_current.last_seen``.
- ``asset_current``: one row per asset: which snapshot is current, since when, last seen.
- ``asset_versions``: when each content became current (the first capture included), so
  the archive can say what an asset was at any past time.
- ``asset_changes``: every difference between consecutive contents: time, field path,
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
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),  # zlib(canonical JSON without page counters)
    sa.UniqueConstraint("site", "asset_id", "hash", name="uq_asset_snapshots_hash"),
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

asset_versions = sa.Table(
    "asset_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("asset_id", sa.String(128), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("snapshot_id", sa.Integer, nullable=False),
    sa.Index("ix_asset_versions_asset", "site", "asset_id", "at"),
)

asset_changes = sa.Table(
    "asset_changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("asset_id", sa.String(128), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("version_id", sa.Integer, nullable=False),
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

ASSETS = Component("assets", [
    Migration(1, "asset archive: snapshots by content hash, current, versions, changes, page counters",
              create_tables(asset_snapshots, asset_current, asset_versions, asset_changes, asset_counters)),
])
