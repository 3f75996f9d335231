"""Patrol's persistent state (SQLite by default, PostgreSQL for larger site collectors)."""

from agent.store.store import AuditEntry, LatestState, RunWrite, Store, StoredMarks

__all__ = ["AuditEntry", "LatestState", "RunWrite", "Store", "StoredMarks"]
