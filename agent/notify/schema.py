"""Tables of the notify component: the notification queue and the event cursor.

``notify_queue`` holds one row per (ticket event, channel); ``dedup`` (unique with site
and channel) is what makes a ticket event reach a channel exactly once, also when the
planner runs again after a crash or a restart. ``notify_cursor`` remembers the last
ticket event (``finding_events.id``) the planner has read, per site.
"""

from __future__ import annotations

import sqlalchemy as sa

from agent.store.migrations import Component, Migration, create_tables
from agent.store.types import UTCDateTime

metadata = sa.MetaData()

queue = sa.Table(
    "notify_queue", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("dedup", sa.String(200), nullable=False),  # e.g. "event:123", "sla:7:response:<due>"
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("rule", sa.String(128), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),  # the Notice
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(8), nullable=False),  # pending | done
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),  # quiet hours, rate limits and retries
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("site", "channel", "dedup", name="uq_notify_queue_dedup"),
    sa.Index("ix_notify_queue_pending", "status", "next_attempt_at", "id"),
    sa.Index("ix_notify_queue_sent", "channel", "sent_at"),
)

cursor = sa.Table(
    "notify_cursor", metadata,
    sa.Column("site", sa.String(128), primary_key=True),
    sa.Column("last_event_id", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

NOTIFY = Component("notify", [
    Migration(1, "notification queue and ticket event cursor", create_tables(queue, cursor)),
])
