"""The findings page's rows: what is wrong on a site now, worst first.

Two sources, merged per (target, check, item): every latest result that is not OK (what
the collectors see now, with its message for the reader's language) and every finding
the ticket engine has not resolved (pending or open: it may still be counting a
recovery, or hold a problem whose latest result is OK again). A row carries the open
ticket of its finding (for the acknowledge button) and the silence or maintenance
window that holds it now, matched as the engine matches them (shell globs).
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

import sqlalchemy as sa

from agent.serve.console.silences import Hold
from agent.serve.console.views import STATE_ORDER
from agent.ticketing.queries import Ticket
from collectors.base import State


@dataclass(frozen=True, slots=True)
class FindingRow:
    target: str
    check: str
    item: str
    state: State
    since: datetime  # the finding's first bad result; without a finding, the latest result's time
    summary: str  # English, as the collector wrote it (or the engine stored it)
    message: Any  # the result's MessageRef as stored JSON (None: English only)
    ticket: Ticket | None  # the open ticket of its finding
    held_until: datetime | None  # the end of the silence or window that holds it now
    held_reason: str | None  # that hold's reason, else the engine's (suppressed by X, storm)


def silence_fields(target: str, check: str, item: str) -> tuple[str, str, str]:
    """A silence for exactly this finding: the silence table reads globs, so a device's
    ``[`` ``*`` ``?`` are escaped (``pc[1]`` must not also hold ``pc1``); an empty item is
    ``*``, as the silences page stores it."""
    return glob.escape(target), glob.escape(check), glob.escape(item) if item else "*"


def holding(holds: Iterable[Hold], target: str, check: str, item: str, now: datetime) -> Hold | None:
    """The hold in force on this finding that ends last (None: not held)."""
    found = [h for h in holds if (h.start is None or h.start <= now) and now < h.until
             and _matches(h, h.target, target) and _matches(h, h.check, check) and fnmatchcase(item, h.item)]
    return max(found, key=lambda h: h.until, default=None)


def _matches(hold: Hold, pattern: str, value: str) -> bool:
    # A configured maintenance window lists its targets and checks comma-joined (silences.active).
    patterns = pattern.split(",") if hold.id is None and hold.window else (pattern,)
    return any(fnmatchcase(value, p) for p in patterns)


def current(store: Any, holds: Sequence[Hold], tickets: Sequence[Ticket], now: datetime) -> list[FindingRow]:
    """The site's findings now, worst first, then oldest first."""
    from agent.store import core
    from agent.ticketing import schema

    t = core.latest
    latest = sa.select(t.c.target, t.c.check, t.c.item, t.c.state, t.c.summary, t.c.message, t.c.observed_at).where(
        t.c.site == store.site, t.c.state != State.OK.value)
    f = schema.findings
    engine_rows: list[Any] = []
    with store.engine.connect() as conn:
        bad = list(conn.execute(latest))
        if sa.inspect(conn).has_table("findings"):
            engine_rows = list(conn.execute(sa.select(f).where(f.c.site == store.site, f.c.status != "resolved")
                                            .order_by(f.c.first_seen)))
    by_fp = {tk.fingerprint: tk for tk in tickets if tk.is_open}
    by_key = {(tk.target, tk.check, tk.item): tk for tk in tickets if tk.is_open and tk.kind == "finding"}
    found = {(r.target, r.check, r.item): r for r in engine_rows}  # one unresolved episode per key
    rows = []
    for r in bad:
        key = (r.target, r.check, r.item)
        episode = found.pop(key, None)
        rows.append(_row(key, State(r.state), episode.first_seen if episode else r.observed_at, r.summary,
                         r.message, episode, by_fp, by_key, holds, now))
    for key, episode in found.items():  # the engine still tracks it, the latest result is OK or gone
        rows.append(_row(key, State(episode.severity), episode.first_seen, episode.summary, None, episode,
                         by_fp, by_key, holds, now))
    rows.sort(key=lambda r: (STATE_ORDER[r.state], r.since, r.target, r.check, r.item))
    return rows


def _row(key: tuple[str, str, str], state: State, since: datetime, summary: str, message: Any, episode: Any,
         by_fp: dict[str, Ticket], by_key: dict[tuple[str, str, str], Ticket], holds: Sequence[Hold],
         now: datetime) -> FindingRow:
    ticket = by_fp.get(episode.ticket_fp) if episode is not None and episode.ticket_fp else None
    hold = holding(holds, *key, now)
    reason = hold.reason if hold is not None else (episode.held_reason if episode is not None else None)
    return FindingRow(*key, state, since, summary, message, ticket or by_key.get(key),
                      hold.until if hold is not None else None, reason)
