"""Push mode: an enrolled agent sends its check batches to the collector (issue 12, point 4).

``Pusher.enqueue`` puts a cycle's runs into the outbox (agent/run/outbox.py);
``Pusher.send`` delivers pending batches oldest first, ``POST /api/v1/results`` with the
agent's bearer credential, gzip'd JSON ``ResultBatch``, and stops at the first failure:

- 200: delivered (``stored: false`` means the collector had it already: a re-send after a
  lost answer), removed from the outbox;
- 401/403: the credential is revoked or unknown: one clear line per episode, the outbox
  is kept (re-enrolling gives a new credential and the batches go then);
- 413: the batch is cut in two and sent again; a batch of one run is dropped and logged
  (it can never be sent);
- other 4xx (a validation error): logged, set aside (kept, not retried) and the next batch is sent;
- no answer, 408, 429, 5xx: the next attempt waits with exponential backoff and jitter
  (collector.retry_base_s .. retry_max_s), and at least the answer's ``Retry-After`` (a
  collector whose database is unreachable answers 503 with one), capped at retry_max_s;
  the time is kept in the outbox, so every short-lived worker of `patrol run` respects it.

One worker sends at a time (a lock file); a worker that finds the lock taken leaves the
sending to the one that holds it.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from agent.run.enrolment import Enrolment, EnrolmentError, load_enrolment, os_description
from agent.run.http import CollectorUnreachable, detail, request, session
from agent.run.outbox import Outbox, OutboxStats
from config.fleet_state import FleetPaths

log = logging.getLogger(__name__)
REFUSED_LINE = ("this agent's credential was refused by the collector (revoked?): re-enrol with `patrol enroll` "
                "(results are kept in the outbox meanwhile)")
DEFAULT_INTERVAL_S = 300.0
LOCK_WAIT_S = 0.5
# Runs read from the local store per query when queueing (a few cycles' worth; a backlog after
# a long stop is read in several rounds of one transaction).
QUEUE_READ_RUNS = 500


@dataclass(frozen=True)
class PushLink:
    """Where and how this agent pushes; ``credential`` None when `collector.url` is set but
    the agent never enrolled (batches wait in the outbox until it does)."""

    url: str
    credential: str | None
    ca_file: Path | None
    paths: FleetPaths
    hostname: str
    version: str
    os: str
    timeout_s: float
    batch_max_results: int
    retry_base_s: float
    retry_max_s: float
    max_bytes: int
    max_age_s: float

    def __repr__(self) -> str:  # never the credential
        return f"PushLink(url={self.url!r}, enrolled={self.credential is not None})"


def fleet_mode(settings: Any) -> bool:
    """An agent of a collector (enrolled, or `collector.url` set): it pushes and does not decide tickets."""
    return bool(settings.collector.url) or FleetPaths.under(settings.state_dir).enrolled()


def push_link(settings: Any, version: str) -> PushLink | None:
    """This agent's link to its collector, or None when it is standalone. The config's
    `collector.url` overrides the enrolled URL (a collector that moved)."""
    if not fleet_mode(settings):
        return None
    paths = FleetPaths.under(settings.state_dir)
    enrolment: Enrolment | None
    try:
        enrolment = load_enrolment(paths)
    except EnrolmentError as exc:
        log.error("%s", exc)
        enrolment = None
    url = settings.collector.url or (enrolment.url if enrolment else None)
    if url is None:
        return None
    c = settings.collector
    return PushLink(url=url, credential=enrolment.credential if enrolment else None,
                    ca_file=paths.ca if paths.ca.is_file() else None, paths=paths, hostname=settings.agent.name,
                    version=version, os=os_description(), timeout_s=c.timeout_s, batch_max_results=c.batch_max_results,
                    retry_base_s=c.retry_base_s, retry_max_s=c.retry_max_s, max_bytes=int(c.outbox_max_mb * 2**20),
                    max_age_s=c.outbox_max_age_h * 3600)


def open_outbox(link: PushLink, clock: Callable[[], float] = time.time) -> Outbox:
    return Outbox(link.paths.outbox, max_bytes=link.max_bytes, max_age_s=link.max_age_s, clock=clock)


def retry_after_s(value: str | None, now: float) -> float | None:
    """Seconds an HTTP ``Retry-After`` asks for (delta-seconds or an HTTP date); None when
    absent or unreadable (the backoff alone decides then)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)


def backoff_s(failures: int, base_s: float, max_s: float, rand: float) -> float:
    """Wait before attempt ``failures + 1``: doubling from ``base_s``, capped at ``max_s``,
    with jitter over the upper half so that a site's agents do not return in step."""
    cap = min(max_s, base_s * 2 ** min(failures, 32))
    return max(min(base_s, max_s), cap * (0.5 + rand / 2))


# The protocol's bounds (agent/fleet/protocol.py): a value past one makes the collector
# refuse the whole batch (422), so an over-long text from a device is cut here instead.
_LIMITS = {"collector": 128, "check": 128, "item": 256, "summary": 4096, "details": 65536, "error": 4096}
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _cut(text: Any, limit: int) -> Any:
    if not isinstance(text, str) or len(text) <= limit:
        return text
    return text[: limit - 3] + "..."


def fit_to_protocol(run: dict[str, Any]) -> dict[str, Any]:
    """``run`` (wire form) within the protocol's bounds: texts cut, metrics the collector
    would refuse left out (a bad name, more than 16 labels, more than 256 per result)."""
    out = {**run, "collector": _cut(run["collector"], _LIMITS["collector"]), "error": _cut(run.get("error"), 4096)}
    results = []
    for r in run["results"][:10_000]:
        metrics = [m for m in r.get("metrics", ())
                   if isinstance(m.get("name"), str) and len(m["name"]) <= 128 and _METRIC_NAME.match(m["name"])
                   and len(m.get("labels", {})) <= 16][:256]
        metrics = [{**m, "unit": _cut(m.get("unit", ""), 32),
                    "labels": {_cut(k, 64): _cut(v, 256) for k, v in m.get("labels", {}).items()}} for m in metrics]
        results.append({**r, **{k: _cut(r.get(k), n) for k, n in _LIMITS.items() if k in r and k != "collector"},
                        "metrics": metrics})
    out["results"] = results
    return out


def _as_pair(marks: Any) -> tuple[int, int]:
    return int(marks.run_id), int(marks.result_id)


@dataclass(frozen=True)
class SendOutcome:
    sent: int
    stopped: str | None  # why sending stopped before the outbox was empty (None: empty, or budget)
    stats: OutboxStats


class Pusher:
    def __init__(self, link: PushLink, outbox: Outbox, *, clock: Callable[[], float] = time.time,
                 rand: Callable[[], float] = random.random):
        self.link = link
        self.outbox = outbox
        self.clock = clock
        self.rand = rand
        self._session: Any = None

    def enqueue(self, runs: Iterable[Any]) -> list[int]:
        """Queue a cycle's runs (CheckRuns) as batches; returns their seqs."""
        from agent.fleet.protocol import run_to_wire

        wire = [fit_to_protocol(run_to_wire(r)) for r in runs]
        return self.outbox.add(wire, self.link.batch_max_results) if wire else []

    def start_from(self, store: Any) -> None:
        """Begin queueing from what ``store`` holds now (a no-op once begun)."""
        self.outbox.start_marks(lambda: _as_pair(store.stored_marks()))

    def queue_stored(self, store: Any, *, runs_per_read: int = QUEUE_READ_RUNS) -> list[int]:
        """Queue every run ``store`` holds that has not been queued yet (see Outbox.queue_stored)."""
        from agent.assets.intake import without_snapshots
        from agent.fleet.protocol import run_to_wire
        from agent.store import StoredMarks

        def read_after(marks: tuple[int, int]) -> tuple[list[dict[str, Any]], tuple[int, int]]:
            runs, after = store.runs_after(StoredMarks(*marks), limit=runs_per_read)
            return [fit_to_protocol(run_to_wire(without_snapshots(run))) for run in runs], _as_pair(after)

        return self.outbox.queue_stored(read_after, self.link.batch_max_results)

    def set_interval(self, interval_s: float) -> None:
        """The shortest check interval of this agent (the plan knows it; each batch says it)."""
        self.outbox.set_meta("interval_s", float(interval_s))

    def interval_s(self) -> float:
        return float(self.outbox.get_meta("interval_s", DEFAULT_INTERVAL_S))

    def send(self, *, budget_s: float | None = None, force: bool = False) -> SendOutcome:
        """Deliver pending batches, oldest first, until the outbox is empty, a failure, or
        ``budget_s`` has passed; ``force`` ignores the backoff (an explicit push)."""
        from agent.interlock import LockTimeout, interlock

        self.outbox.enforce_bounds()
        try:
            with interlock(self.link.paths.push_lock, LOCK_WAIT_S):
                sent, stopped = self._send_locked(budget_s, force)
        except LockTimeout:
            sent, stopped = 0, "another worker is sending"
        return SendOutcome(sent, stopped, self.outbox.stats())

    def _send_locked(self, budget_s: float | None, force: bool) -> tuple[int, str | None]:
        if self.link.credential is None:
            if not self.outbox.flag("unenrolled", True):
                log.error("collector.url is set but this agent is not enrolled: results wait in the outbox; "
                          "enrol it with `patrol enroll %s --token ...`", self.link.url)
            return 0, "not enrolled"
        if not force and self.clock() < self.outbox.next_attempt_at():
            return 0, "backing off"
        started = time.monotonic()
        sent = 0
        while (batch := self.outbox.oldest()) is not None:
            if budget_s is not None and sent and time.monotonic() - started > budget_s:
                return sent, None
            dropped = self.outbox.dropped_unreported()
            status, answer, retry_after = self._post(batch, dropped)
            if status is None:
                self._failed(f"{answer}")
                return sent, "unreachable"
            if status == 200:
                stored = isinstance(answer, dict) and answer.get("stored")
                if not stored:
                    log.debug("push: batch %d was stored already (a re-send)", batch.seq)
                self.outbox.delivered(batch.seq, dropped)
                self._back_up()
                sent += 1
                continue
            if status in (401, 403):
                if not self.outbox.flag("refused", True):
                    log.error("%s: HTTP %d %s", REFUSED_LINE, status, answer)
                self._failed(None)
                return sent, "refused"
            if status == 413:
                halves = self.outbox.split(batch)
                if halves is None:
                    self.outbox.drop(batch.seq, f"larger than the collector accepts (HTTP 413: {answer}) and a "
                                                "single check run: it can never be sent")
                else:
                    log.warning("push: batch %d too large for the collector (HTTP 413): cut in two", batch.seq)
                continue
            if 400 <= status < 500 and status not in (408, 429):
                log.error("push: the collector refused batch %d (HTTP %d: %s); set aside in the outbox, not retried",
                          batch.seq, status, answer)
                self.outbox.hold(batch.seq, f"HTTP {status}: {answer}")
                continue
            self._failed(f"HTTP {status}: {answer}", retry_after)
            return sent, f"HTTP {status}"
        return sent, None

    def _post(self, batch: Any, dropped: int) -> tuple[int | None, Any, float | None]:
        """(status or None when unreachable, answer, seconds the answer's Retry-After asks for)."""
        from agent.fleet.protocol import RESULTS_PATH

        body = {"batch_id": batch.batch_id, "seq": batch.seq,
                "sent_at": datetime.fromtimestamp(self.clock(), timezone.utc).isoformat(),
                "hostname": self.link.hostname, "version": self.link.version, "os": self.link.os,
                "interval_s": self.interval_s(), "dropped": dropped, "runs": batch.runs()}
        data = gzip.compress(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 6)
        try:
            response = request(self.http(), "POST", self.link.url + RESULTS_PATH, timeout_s=self.link.timeout_s,
                               data=data, headers=self.headers() | {"Content-Type": "application/json",
                                                                    "Content-Encoding": "gzip"})
        except CollectorUnreachable as exc:
            return None, str(exc), None
        if response.status_code == 200:
            try:
                return 200, response.json(), None
            except ValueError:
                return 200, None, None
        return response.status_code, detail(response), retry_after_s(response.headers.get("Retry-After"), self.clock())

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.link.credential}"} if self.link.credential else {}

    def http(self) -> Any:
        if self._session is None:
            self._session = session(self.link.ca_file)
        return self._session

    def _failed(self, reason: str | None, retry_after: float | None = None) -> None:
        wait = backoff_s(self.outbox.failures(), self.link.retry_base_s, self.link.retry_max_s, self.rand())
        if retry_after is not None:  # the collector knows when it can take results again; never past our cap
            wait = max(wait, min(retry_after, self.link.retry_max_s))
        self.outbox.failed(self.clock() + wait)
        if reason is not None:
            if not self.outbox.flag("down", True):
                log.warning("push: the collector is not taking results (%s); they wait in the outbox, next try in %.0f s",
                            reason, wait)
            else:
                log.info("push: still failing (%s); next try in %.0f s", reason, wait)

    def _back_up(self) -> None:
        was_down, was_refused = self.outbox.flag("down", False), self.outbox.flag("refused", False)
        self.outbox.flag("unenrolled", False)
        if was_down or was_refused:
            log.info("push: the collector takes results again")

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        self.outbox.close()


def stats_message(stats: OutboxStats) -> dict[str, Any]:
    """The ``push`` wire message's fields (agent/wire.py)."""
    return {"pending": stats.pending, "held": stats.held, "dropped_total": stats.dropped_total,
            "last_success": stats.last_success}
