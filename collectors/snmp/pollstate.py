"""Per-device poll state between runs (last counters, uptime, port states) in SQLite.

Rates and reboot detection need the previous poll. Keeping it on disk under
``io.state_dir/snmp/poll-state.sqlite`` means a restarted agent neither reports a false
reboot nor a rate computed from counters it never saw. One small JSON document per
device, WAL mode, no fsync per write: losing the last poll on a power cut only costs
one missing rate.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_connections: dict[Path, sqlite3.Connection] = {}


def _connect(path: Path) -> sqlite3.Connection:
    conn = _connections.get(path)
    if conn is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS poll_state (device TEXT PRIMARY KEY, data TEXT NOT NULL)")
        _connections[path] = conn
    return conn


class PollState:
    def __init__(self, state_dir: Path, family: str):
        self.path = Path(state_dir) / "snmp" / "poll-state.sqlite"
        self.family = family

    def _key(self, device: str) -> str:
        return f"{self.family}:{device}"

    def load(self, device: str) -> dict[str, Any] | None:
        with _lock:
            row = _connect(self.path).execute("SELECT data FROM poll_state WHERE device = ?",
                                              (self._key(device),)).fetchone()
        if row is None:
            return None
        try:
            data = json.loads(row[0])
        except ValueError:  # a damaged row is a missing row: the next poll rebuilds it
            return None
        return data if isinstance(data, dict) else None

    def save(self, device: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, separators=(",", ":"))
        with _lock:
            _connect(self.path).execute("INSERT OR REPLACE INTO poll_state (device, data) VALUES (?, ?)",
                                        (self._key(device), text))


def close_all() -> None:
    with _lock:
        for conn in _connections.values():
            conn.close()
        _connections.clear()
