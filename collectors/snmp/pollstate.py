"""Per-device poll state between runs (last counters, uptime, port states) in SQLite.

Rates and reboot detection need the previous poll. Keeping it on disk under
``io.state_dir/snmp/poll-state.sqlite`` means a restarted agent neither reports a false
reboot nor a rate computed from counters it never saw. One small JSON document per
device, WAL mode, no fsync per write: losing the last poll on a power cut only costs
one missing rate.

Collector replicas (agent/serve/leases.py) keep it in the database with the device's
lease instead (``poll_state_for``), so a device that moves to another replica keeps it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol

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


POLL_STATE_KEY = "poll_state"  # CollectorIO.extra: family -> a load/save like PollState's (agent/serve/leases.py)


class PollStateStore(Protocol):
    def load(self, device: str) -> dict[str, Any] | None: ...

    def save(self, device: str, data: dict[str, Any]) -> None: ...


def poll_state_for(io: Any, family: str) -> PollStateStore:
    """Where a fetch keeps its device's state: with the device's lease when a collector
    replica polls it (the state goes wherever the device goes), else under io.state_dir."""
    carried = io.extra.get(POLL_STATE_KEY)
    return carried(family) if carried is not None else PollState(io.state_dir, family)


def close_all() -> None:
    with _lock:
        for conn in _connections.values():
            conn.close()
        _connections.clear()
