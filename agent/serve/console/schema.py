"""The console's own tables: local users and server-side sessions.

Passwords are argon2id hashes (agent/serve/console/accounts.py). A session row holds only
the SHA-256 of the cookie's 256-bit random value: reading the database does not give a
working cookie, and a fast hash is enough for a value nobody can guess.
"""

from __future__ import annotations

import sqlalchemy as sa

from agent.store.migrations import Component, Migration, create_tables
from agent.store.types import UTCDateTime

metadata = sa.MetaData()

users = sa.Table(
    "console_users", metadata,
    sa.Column("username", sa.String(128), primary_key=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),  # viewer | engineer | admin
    sa.Column("site", sa.String(128), nullable=True),  # a viewer's one site; None: every site
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("password_changed_at", UTCDateTime, nullable=False),
)

sessions = sa.Table(
    "console_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("address", sa.String(64), nullable=True),
    sa.Index("ix_console_sessions_user", "username"),
)

CONSOLE = Component("console", [
    Migration(1, "console users and sessions", create_tables(users, sessions)),
])
