"""What readers of the topology ask (the console's topology map): links now, or at a time,
and one device's link history. Read-only; record.py writes the table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from agent.topology.schema import neighbor_links


@dataclass(frozen=True, slots=True)
class Link:
    device: str
    local_port: str
    protocol: str
    remote_name: str
    remote_port: str
    chassis_id: str
    mgmt_address: str
    first_seen: datetime
    last_seen: datetime
    gone_at: datetime | None


def _links(rows: sa.CursorResult) -> list[Link]:
    return [Link(r.device, r.local_port, r.protocol, r.remote_name, r.remote_port, r.chassis_id, r.mgmt_address,
                 r.first_seen, r.last_seen, r.gone_at) for r in rows]


def links(engine: sa.Engine, site: str, *, device: str | None = None, at: datetime | None = None) -> list[Link]:
    """The links that existed at ``at`` (default: the ones not gone now), ordered by device and port."""
    t = neighbor_links
    query = sa.select(t).where(t.c.site == site)
    if device is not None:
        query = query.where(t.c.device == device)
    if at is None:
        query = query.where(t.c.gone_at.is_(None))
    else:
        query = query.where(t.c.first_seen <= at, sa.or_(t.c.gone_at.is_(None), t.c.gone_at > at))
    with engine.connect() as conn:
        return _links(conn.execute(query.order_by(t.c.device, t.c.local_port, t.c.remote_name)))


def history(engine: sa.Engine, site: str, device: str) -> list[Link]:
    """Every episode of every link of ``device``, oldest first."""
    t = neighbor_links
    with engine.connect() as conn:
        return _links(conn.execute(sa.select(t).where(t.c.site == site, t.c.device == device)
                                   .order_by(t.c.first_seen, t.c.id)))
