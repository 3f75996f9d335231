"""Tables of the ticketing component: findings, tickets, outbox, silences, events.

``findings`` holds one row per episode of a fingerprint (pending -> open -> resolved), so
reports can count how often the same problem came back. ``tickets`` mirrors what the
engine believes about each ticket (deadlines, breaches, escalation), whatever the backend.
``outbox`` is the ordered queue of backend calls. ``builtin_tickets`` and
``builtin_comments`` are the embedded backend's own storage.
"""

from __future__ import annotations

import sqlalchemy as sa

from agent.store.migrations import Component, Migration, create_tables
from agent.store.types import UTCDateTime

metadata = sa.MetaData()

findings = sa.Table(
    "findings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("target", sa.String(128), nullable=False),
    sa.Column("check", sa.String(128), nullable=False),
    sa.Column("item", sa.String(256), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | open | resolved
    sa.Column("severity", sa.String(8), nullable=False),  # warn | crit | unknown (latest non-OK)
    sa.Column("worst_severity", sa.String(8), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    sa.Column("opened_at", UTCDateTime, nullable=True),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Column("bad_count", sa.Integer, nullable=False),
    sa.Column("ok_count", sa.Integer, nullable=False),
    sa.Column("ok_since", UTCDateTime, nullable=True),  # first OK result of the current OK streak
    sa.Column("streak_known", sa.Boolean, nullable=False),
    sa.Column("flapping", sa.Boolean, nullable=False),
    sa.Column("transitions", sa.JSON, nullable=False),
    sa.Column("held_reason", sa.Text, nullable=True),
    sa.Column("ticket_fp", sa.String(64), nullable=True),
    sa.Column("last_comment_at", UTCDateTime, nullable=True),
    sa.Column("pending_note", sa.Text, nullable=True),
    sa.Index("ix_findings_fp", "fingerprint", "status"),
    sa.Index("ix_findings_seen", "site", "last_seen"),
)

tickets = sa.Table(
    "tickets", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # finding | storm
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("target", sa.String(128), nullable=False),
    sa.Column("check", sa.String(128), nullable=False),
    sa.Column("item", sa.String(256), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("backend", sa.String(32), nullable=False),
    sa.Column("key", sa.String(128), nullable=True),  # the backend's id once the open call went through
    sa.Column("url", sa.Text, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # open | acknowledged | resolved
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("tier", sa.String(32), nullable=False),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("acknowledged_at", UTCDateTime, nullable=True),
    sa.Column("acknowledged_by", sa.String(128), nullable=True),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Column("resolved_by", sa.String(128), nullable=True),
    sa.Column("due_response", UTCDateTime, nullable=False),
    sa.Column("due_resolve", UTCDateTime, nullable=False),
    sa.Column("response_breached", sa.Boolean, nullable=False),
    sa.Column("resolve_breached", sa.Boolean, nullable=False),
    sa.Column("escalation_level", sa.Integer, nullable=False),
    sa.Column("comments", sa.Integer, nullable=False),
    sa.Column("reopen_count", sa.Integer, nullable=False),
    sa.Column("flapping", sa.Boolean, nullable=False),
    sa.Column("suppressed", sa.JSON, nullable=False),  # targets held because this one is down
    sa.Column("grouped", sa.JSON, nullable=False),  # storm ticket: fingerprints it stands for
    sa.Index("ix_tickets_fp", "fingerprint", "id"),
    sa.Index("ix_tickets_opened", "site", "opened_at"),
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("ticket_id", sa.Integer, nullable=False),
    sa.Column("op", sa.String(16), nullable=False),  # open | comment | priority | resolve | reopen | ack | notify
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(8), nullable=False),  # pending | done
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("done_at", UTCDateTime, nullable=True),
    # host/pid/start time of the process sending it now (agent/ticketing/liveness.py), else NULL
    sa.Column("claimed_by", sa.String(160), nullable=True),
    sa.Index("ix_outbox_pending", "status", "id"),
)

silences = sa.Table(
    "silences", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("target", sa.String(128), nullable=False),
    sa.Column("check", sa.String(128), nullable=False),
    sa.Column("item", sa.String(256), nullable=False),
    sa.Column("until", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("removed_at", UTCDateTime, nullable=True),
    # Set: a maintenance window planned from the console, holding tickets from then on
    # (reason is its name); NULL: a silence, in force from created_at.
    sa.Column("starts_at", UTCDateTime, nullable=True),
)

# What happened to findings and tickets, in order: the history reports analyse.
events = sa.Table(
    "finding_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("target", sa.String(128), nullable=False),
    sa.Column("check", sa.String(128), nullable=False),
    sa.Column("item", sa.String(256), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Index("ix_finding_events_at", "site", "at"),
)

builtin_tickets = sa.Table(
    "builtin_tickets", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # new | open | resolved
    sa.Column("priority", sa.String(32), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Index("ix_builtin_tickets_fp", "fingerprint", "id"),
)

builtin_comments = sa.Table(
    "builtin_comments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("ix_builtin_comments_ticket", "ticket_id", "id"),
)

def _add_claimed_by(conn: sa.Connection) -> None:
    # A store created by this version already has it (migration 1 creates the table as declared).
    if "claimed_by" not in {c["name"] for c in sa.inspect(conn).get_columns("outbox")}:
        conn.execute(sa.text("ALTER TABLE outbox ADD COLUMN claimed_by VARCHAR(160)"))


def _add_starts_at(conn: sa.Connection) -> None:
    if "starts_at" not in {c["name"] for c in sa.inspect(conn).get_columns("silences")}:
        conn.execute(sa.text(f"ALTER TABLE silences ADD COLUMN starts_at {sa.DateTime().compile(dialect=conn.dialect)}"))


TICKETING = Component("ticketing", [
    Migration(1, "findings, tickets, outbox, silences, finding events, builtin backend tables",
              create_tables(findings, tickets, outbox, silences, events, builtin_tickets, builtin_comments)),
    Migration(2, "outbox.claimed_by: the process sending a call, so a dead one's claim is taken over at once",
              _add_claimed_by),
    Migration(3, "silences.starts_at: maintenance windows planned in the console", _add_starts_at),
])
