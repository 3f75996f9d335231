"""Write the neighbours a switch poll found into ``neighbor_links`` (see schema.py).

Input is the run of the ``switch`` collector: its ``switch.neighbors`` result lists the
neighbours as one JSON object per details line (collectors/switch.py). A run without that
result, or with it UNKNOWN (the tables could not be read), changes nothing: not knowing is
not the same as a link being gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from agent.topology.schema import neighbor_links
from collectors.base import CheckResult, CheckRun, State

CHECK = "switch.neighbors"
_KEY = ("local_port", "protocol", "remote_name", "remote_port")
_FIELDS = (*_KEY, "chassis_id", "mgmt_address")


def parse_details(details: str) -> list[dict[str, str]]:
    """The neighbours in a switch.neighbors result; malformed lines are skipped."""
    out = []
    for line in details.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and all(isinstance(item.get(f, ""), str) for f in _FIELDS) and item.get("remote_name"):
            out.append({f: str(item.get(f, ""))[:256] for f in _FIELDS})
    return out


def _neighbor_result(results: Iterable[CheckResult]) -> CheckResult | None:
    return next((r for r in results if r.check == CHECK and r.state is not State.UNKNOWN), None)


def record_run(engine: sa.Engine, site: str, run: CheckRun) -> int:
    """Apply one switch run to the link history; returns how many rows changed."""
    result = _neighbor_result(run.results) if run.error is None else None
    if result is None:
        return 0
    return record_neighbors(engine, site, result.target, parse_details(result.details), result.observed_at)


def record_runs(conn: sa.Connection, site: str, runs: Iterable[CheckRun]) -> int:
    """Apply switch runs inside the caller's transaction (a replica stores a batch of polls
    in one transaction, links included); returns how many rows changed."""
    changed = 0
    for run in runs:
        result = _neighbor_result(run.results) if run.error is None and run.collector == "switch" else None
        if result is not None:
            changed += _apply(conn, site, result.target, parse_details(result.details), result.observed_at)
    return changed


def record_neighbors(engine: sa.Engine, site: str, device: str, neighbors: list[dict[str, str]],
                     at: datetime) -> int:
    with engine.begin() as conn:
        return _apply(conn, site, device, neighbors, at)


def _apply(conn: sa.Connection, site: str, device: str, neighbors: list[dict[str, str]], at: datetime) -> int:
    t = neighbor_links
    changed = 0
    open_rows = {tuple(row._mapping[k] for k in _KEY): row.id for row in conn.execute(
        sa.select(t).where(t.c.site == site, t.c.device == device, t.c.gone_at.is_(None)))}
    seen: set[tuple[str, ...]] = set()
    for n in neighbors:
        key = tuple(n[k] for k in _KEY)
        if key in seen:
            continue
        seen.add(key)
        if key in open_rows:
            conn.execute(t.update().where(t.c.id == open_rows[key]).values(
                last_seen=at, chassis_id=n["chassis_id"], mgmt_address=n["mgmt_address"]))
        else:
            conn.execute(t.insert().values(site=site, device=device, first_seen=at, last_seen=at, gone_at=None,
                                           **n))
        changed += 1
    for key, row_id in open_rows.items():
        if key not in seen:
            conn.execute(t.update().where(t.c.id == row_id).values(gone_at=at))
            changed += 1
    return changed
