"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes everywhere.

    SQLite has no timezone type and hands back naive values; storing naive UTC and
    re-attaching UTC on read keeps comparisons in Python correct on both databases.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC times")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


def upsert(conn: sa.Connection, table: sa.Table, rows: list[dict], keys: list[str]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE, on SQLite and PostgreSQL alike."""
    if not rows:
        return
    conn.execute(_upsert_statement(conn.dialect.name, table, tuple(keys)), rows)


@functools.cache
def _upsert_statement(dialect: str, table: sa.Table, keys: tuple[str, ...]) -> Any:
    # Built once per table: building it (``excluded`` columns) cost more than running it.
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - only the two supported databases reach here
        raise RuntimeError(f"unsupported database {dialect}")
    stmt = insert(table)
    update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=update)
