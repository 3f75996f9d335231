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
    # When the site collector received a pushed run (started_at is the agent's clock); NULL
    # for runs made where they are stored.
    sa.Column("received_at", UTCDateTime, nullable=True),
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
    # The summary as a message id + parameters (collectors/messages.py): reports in other
    # languages render it; NULL for results from before migration 3 and older agents.
    sa.Column("message", sa.JSON(none_as_null=True), nullable=True),
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
    sa.Column("message", sa.JSON(none_as_null=True), nullable=True),
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

def _add_received_at(conn: sa.Connection) -> None:
    existing = {c["name"] for c in sa.inspect(conn).get_columns("runs")}
    if "received_at" not in existing:  # a store created at version 2 has it from create_tables
        ddl_type = UTCDateTime().compile(dialect=conn.dialect)
        conn.execute(sa.text(f"ALTER TABLE runs ADD COLUMN received_at {ddl_type} NULL"))


def _add_message(conn: sa.Connection) -> None:
    ddl_type = sa.JSON().compile(dialect=conn.dialect)
    for table in ("results", "latest"):
        if "message" not in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
            conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN message {ddl_type} NULL"))


def _latest_fillfactor(conn: sa.Connection) -> None:
    """Half-full pages for ``latest`` on PostgreSQL. Every poll rewrites each of its items' rows;
    with room on the page the new row version stays there (a HOT update) and the primary key
    is not touched. ``bench/store_writes.py`` (PostgreSQL backend CPU, 2,000 switch polls of
    64 results stored again in batches of 100): 3.2 ms per switch poll at the default 100 %,
    2.0 ms at 50 % (70 %: ~2.8 ms), and the table is not larger for it in the steady state
    (862 bytes per item against 1,258: non-HOT updates leave dead versions and index entries
    until vacuum). ``results``, which holds the history, is not changed. SQLite has no such
    setting."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ALTER TABLE latest SET (fillfactor = 50)"))


CORE = Component("core", [
    Migration(1, "runs, results, latest, audit", create_tables(runs, results, latest, audit)),
    Migration(2, "runs.received_at (pushed runs)", _add_received_at),
    Migration(3, "results.message and latest.message (message ids for reports' languages)", _add_message),
    Migration(4, "latest: half-full pages on PostgreSQL (updates in place)", _latest_fillfactor),
])
