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

from agent.store.bulk import recordset
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
    in one transaction, links included); returns how many rows changed. The batch's open
    links are read in one query and written in one statement per kind of change, as applying
    the runs one by one would leave them (two polls of one device: the second sees the first's)."""
    polls = []
    for run in runs:
        result = _neighbor_result(run.results) if run.error is None and run.collector == "switch" else None
        if result is not None:
            polls.append((result.target, parse_details(result.details), result.observed_at))
    changed, segment = 0, []
    for poll in polls:
        if any(poll[0] == other[0] for other in segment):  # a device polled twice: the first applied first
            changed += _apply_many(conn, site, segment)
            segment = []
        segment.append(poll)
    return changed + _apply_many(conn, site, segment)


def record_neighbors(engine: sa.Engine, site: str, device: str, neighbors: list[dict[str, str]],
                     at: datetime) -> int:
    with engine.begin() as conn:
        return _apply(conn, site, device, neighbors, at)


def _apply(conn: sa.Connection, site: str, device: str, neighbors: list[dict[str, str]], at: datetime) -> int:
    return _apply_many(conn, site, [(device, neighbors, at)])


_SEEN = neighbor_links.update().where(neighbor_links.c.id == sa.bindparam("row_id")).values(
    last_seen=sa.bindparam("at"), chassis_id=sa.bindparam("chassis"), mgmt_address=sa.bindparam("mgmt"))
# PostgreSQL: the links seen again in one statement, from _SEEN's parameters (bulk.recordset).
# Through executemany each was its own UPDATE (parse, plan, execute: 9 per 48-port switch poll).
_SEEN_SET = sa.text(
    "UPDATE neighbor_links AS t SET last_seen = v.at, chassis_id = v.chassis, mgmt_address = v.mgmt "
    "FROM json_to_recordset(CAST(:rows AS json)) AS v(row_id integer, at timestamp, chassis text, mgmt text) "
    "WHERE t.id = v.row_id")
_GONE = neighbor_links.update().where(neighbor_links.c.id == sa.bindparam("row_id")).values(gone_at=sa.bindparam("at"))


def _apply_many(conn: sa.Connection, site: str, polls: list[tuple[str, list[dict[str, str]], datetime]]) -> int:
    """Apply polls of distinct devices: links seen again move ``last_seen``, new ones get a
    row, open ones no longer listed get ``gone_at``."""
    if not polls:
        return 0
    t = neighbor_links
    open_rows: dict[str, dict[tuple[str, ...], int]] = {device: {} for device, _, _ in polls}
    for row in conn.execute(sa.select(t).where(t.c.site == site, t.c.device.in_(list(open_rows)),
                                               t.c.gone_at.is_(None))):
        open_rows[row.device][tuple(row._mapping[k] for k in _KEY)] = row.id
    seen_again, new, gone = [], [], []
    for device, neighbors, at in polls:
        known = open_rows[device]
        seen: set[tuple[str, ...]] = set()
        for n in neighbors:
            key = tuple(n[k] for k in _KEY)
            if key in seen:
                continue
            seen.add(key)
            if key in known:
                seen_again.append({"row_id": known[key], "at": at, "chassis": n["chassis_id"],
                                   "mgmt": n["mgmt_address"]})
            else:
                new.append({"site": site, "device": device, "first_seen": at, "last_seen": at, "gone_at": None, **n})
        gone.extend({"row_id": row_id, "at": at} for key, row_id in known.items() if key not in seen)
    if seen_again and conn.dialect.name == "postgresql":
        conn.execute(_SEEN_SET, {"rows": recordset(seen_again)})
    elif seen_again:
        conn.execute(_SEEN, seen_again)
    for statement, rows in ((t.insert(), new), (_GONE, gone)):
        if rows:
            conn.execute(statement, rows)
    return len(seen_again) + len(new) + len(gone)
