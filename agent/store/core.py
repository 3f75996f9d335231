"""Core tables: every run and result, the latest state per item, and the audit log."""

from __future__ import annotations

import sqlalchemy as sa

from agent.store.migrations import Component, Migration, create_tables
from agent.store.types import UTCDateTime

metadata = sa.MetaData()

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("collector", sa.String(64), nullable=False),
    sa.Column("target", sa.String(128), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("duration_s", sa.Float, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Index("ix_runs_started", "started_at"),
)

results = sa.Table(
    "results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("target", sa.String(128), nullable=False),
    sa.Column("check", sa.String(128), nullable=False),
    sa.Column("item", sa.String(256), nullable=False),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("observed_at", UTCDateTime, nullable=False),
    sa.Index("ix_results_key_time", "site", "target", "check", "item", "observed_at"),
    sa.Index("ix_results_time", "observed_at"),
)

# One row per (site, target, check, item): what /metrics and the reports read first.
latest = sa.Table(
    "latest", metadata,
    sa.Column("site", sa.String(128), primary_key=True),
    sa.Column("target", sa.String(128), primary_key=True),
    sa.Column("check", sa.String(128), primary_key=True),
    sa.Column("item", sa.String(256), primary_key=True),
    sa.Column("collector", sa.String(64), nullable=False),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("observed_at", UTCDateTime, nullable=False),
    sa.Column("duration_s", sa.Float, nullable=False),
    sa.Column("run_id", sa.Integer, nullable=False),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(512), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Index("ix_audit_at", "at"),
)

CORE = Component("core", [
    Migration(1, "runs, results, latest, audit", create_tables(runs, results, latest, audit)),
])
