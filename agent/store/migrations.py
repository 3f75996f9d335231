"""Versioned schema migrations, one ordered list per component.

Each component (core, ticketing, ...) owns its tables and its migration list; the
``schema_migrations`` table records (component, version). A migration is a function of a
connection inside the transaction that records it, so a crash mid-way leaves the old
version recorded and the migration is retried on the next start. Migrations only ever go
forward; a database newer than the code is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

MIGRATE_LOCK_TIMEOUT_S = 600.0  # another process may be migrating a large table
MIGRATIONS_METADATA = sa.MetaData()
schema_migrations = sa.Table(
    "schema_migrations", MIGRATIONS_METADATA,
    sa.Column("component", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sa.Connection], None]


@dataclass(frozen=True)
class Component:
    """A part of Patrol with tables of its own."""

    name: str
    migrations: Sequence[Migration]

    @property
    def latest(self) -> int:
        return self.migrations[-1].version if self.migrations else 0


class SchemaTooNew(RuntimeError):
    pass


def create_tables(*tables: sa.Table) -> Callable[[sa.Connection], None]:
    """A migration step that creates tables (and their indexes) as declared."""

    def apply(conn: sa.Connection) -> None:
        for table in tables:
            table.create(conn, checkfirst=True)

    return apply


def migrate(engine: sa.Engine, components: Sequence[Component]) -> dict[str, int]:
    """Bring every component's tables to its latest version; returns the versions.

    On PostgreSQL under an advisory lock: replicas started together on a new database would
    otherwise race to create the same tables."""
    if engine.dialect.name == "postgresql":
        from agent.dblock import advisory_lock

        with advisory_lock(engine, "patrol.schema-migrations", MIGRATE_LOCK_TIMEOUT_S):
            return _migrate(engine, components)
    return _migrate(engine, components)


def _migrate(engine: sa.Engine, components: Sequence[Component]) -> dict[str, int]:
    with engine.begin() as conn:
        schema_migrations.create(conn, checkfirst=True)
    versions: dict[str, int] = {}
    for component in components:
        versions[component.name] = _migrate_component(engine, component)
    return versions


def _migrate_component(engine: sa.Engine, component: Component) -> int:
    with engine.begin() as conn:
        current = conn.execute(sa.select(schema_migrations.c.version)
                               .where(schema_migrations.c.component == component.name)).scalar()
    current = current or 0
    if current > component.latest:
        raise SchemaTooNew(f"the store's {component.name} schema is version {current}, newer than this "
                           f"Patrol knows ({component.latest}); upgrade Patrol or use another store")
    for migration in component.migrations:
        if migration.version <= current:
            continue
        with engine.begin() as conn:
            migration.apply(conn)
            values = {"version": migration.version, "applied_at": datetime.now(timezone.utc)}
            updated = conn.execute(schema_migrations.update()
                                   .where(schema_migrations.c.component == component.name).values(**values))
            if updated.rowcount == 0:
                conn.execute(schema_migrations.insert().values(component=component.name, **values))
        current = migration.version
    return current
