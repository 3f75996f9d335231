"""Patrol's persistent state (SQLite by default, PostgreSQL for larger site collectors)."""

from agent.store.store import AuditEntry, LatestState, Store

__all__ = ["AuditEntry", "LatestState", "Store"]
