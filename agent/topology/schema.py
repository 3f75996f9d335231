"""The topology component's table: one row per episode of a neighbour link.

A link (device, local port, protocol, remote system, remote port) gets a row when it is
first seen; ``last_seen`` moves with every poll that still lists it; ``gone_at`` is set on
the first poll that no longer does. When it comes back it gets a new row, so the history
says when each link existed.
"""

from __future__ import annotations

import sqlalchemy as sa

from agent.store.migrations import Component, Migration, create_tables
from agent.store.types import UTCDateTime

metadata = sa.MetaData()

neighbor_links = sa.Table(
    "neighbor_links", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("device", sa.String(128), nullable=False),
    sa.Column("local_port", sa.String(256), nullable=False),
    sa.Column("protocol", sa.String(8), nullable=False),  # lldp | cdp
    sa.Column("remote_name", sa.String(256), nullable=False),
    sa.Column("remote_port", sa.String(256), nullable=False),
    sa.Column("chassis_id", sa.String(256), nullable=False),
    sa.Column("mgmt_address", sa.String(64), nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    sa.Column("gone_at", UTCDateTime, nullable=True),
    sa.Index("ix_neighbor_links_device", "site", "device", "gone_at"),
)

TOPOLOGY = Component("topology", [
    Migration(1, "neighbor_links: LLDP/CDP links per device with first/last seen and gone_at",
              create_tables(neighbor_links)),
])
