"""The collector's own tables: enrolment tokens and enrolled agents.

Secrets are stored as SHA-256 hashes only. Both are 256-bit random values the collector
made itself, so a fast hash is as safe as a slow one (there is nothing to brute-force) and
keeps authenticating a push to one indexed lookup.
"""

from __future__ import annotations

import sqlalchemy as sa

from agent.store.migrations import Component, Migration, create_tables
from agent.store.types import UTCDateTime

metadata = sa.MetaData()

enrol_tokens = sa.Table(
    "fleet_enrol_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("uses_left", sa.Integer, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

agents = sa.Table(
    "fleet_agents", metadata,
    sa.Column("agent_id", sa.String(32), primary_key=True),
    sa.Column("site", sa.String(128), nullable=False),
    sa.Column("target", sa.String(128), nullable=False),
    # An admin's `patrol agents rename` wins over the name the agent reports.
    sa.Column("name_pinned", sa.Boolean, nullable=False, default=False),
    sa.Column("hostname", sa.String(128), nullable=False),
    sa.Column("machine_id", sa.String(128), nullable=True),
    sa.Column("smbios_uuid", sa.String(64), nullable=True),
    sa.Column("os", sa.String(256), nullable=False, default=""),
    sa.Column("version", sa.String(64), nullable=False, default=""),
    sa.Column("credential_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("enrolled_at", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=True),
    sa.Column("address", sa.String(64), nullable=True),  # where its last push came from (reachability)
    sa.Column("last_seq", sa.BigInteger, nullable=False, default=0),
    sa.Column("interval_s", sa.Float, nullable=False, default=300.0),
    sa.Column("clock_offset_s", sa.Float, nullable=True),
    sa.Column("dropped_total", sa.BigInteger, nullable=False, default=0),
    sa.Column("results_total", sa.BigInteger, nullable=False, default=0),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Index("ix_fleet_agents_site_target", "site", "target"),
    sa.Index("ix_fleet_agents_machine", "machine_id"),
    sa.Index("ix_fleet_agents_smbios", "smbios_uuid"),
)

FLEET = Component("fleet", [
    Migration(1, "enrolment tokens and agents", create_tables(enrol_tokens, agents)),
])
