"""Prometheus exposition of the latest results, built fresh from a snapshot at scrape time.

The snapshot holds the latest run per (collector, target); a new run replaces its
predecessor whole, so an item that disappears (a disk unmounted) leaves /metrics with it.
Series:

- ``patrol_check_state{site,target,check,item}``: 0 ok, 1 warn, 2 crit, 3 unknown
- ``patrol_check_duration_seconds{site,target,check,item}``: duration of the run that produced the result
- ``patrol_check_last_run_timestamp_seconds{site,target,check,item}``
- ``patrol_<metric>{site,target,check,item,...}``: each result metric, in base units
  (``days`` are exported as ``_seconds``, ``percent`` as ``_ratio``, so promtool's unit lint passes)
- ``patrol_build_info{version,python}`` 1
- an agent enrolled with a collector (push mode) also: ``patrol_push_pending_batches``,
  ``patrol_push_dropped_results_total`` and ``patrol_push_last_success_timestamp_seconds``
- ``patrol_tickets_open{site,tier}``: tickets not yet resolved, per SLA tier
- ``patrol_outbox_pending``: ticket backend calls waiting in the outbox
- ``patrol_outbox_oldest_age_seconds``: how long the oldest of them has waited (0 when none)
- ``patrol_ticket_operations_total{op,outcome}``: ticket operations decided (``queued``) and the outcomes of
  the backend calls carrying them (``sent``, ``unavailable``, ``rejected``, ``error``)
- ``patrol_notifications_total{channel,outcome}``: notification deliveries (sent, failed, rate_limited),
  once a channel has been used (docs/notifications.md)
- ``patrol_ticket_deadline_timestamp_seconds{site,ticket,tier,deadline}``: unix time of each SLA deadline
  (response, resolve) of an open ticket that is still to be met

The ticket series come from the workers' ``outbox`` messages (agent/wire.py); they are absent
until the first one arrives (ticketing disabled: never).
"""

from __future__ import annotations

import platform
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric as PromMetric
from prometheus_client.registry import CollectorRegistry

from agent.metric_help import metric_help
from agent.wire import TicketActivity
from collectors.base import CheckResult, CheckRun

BASE_LABELS = ("site", "target", "check", "item")
# Families yielded by name here and by the collector (agent/serve/metrics.py): a result's
# metric of the same exported name would make a second family of that name (a pushed
# metric named ``check_state``), and Prometheus rejects the whole page.
_GAUGES = ("check_state", "check_duration_seconds", "check_last_run_timestamp_seconds", "push_pending_batches",
           "push_last_success_timestamp_seconds", "build_info", "tickets_open", "outbox_pending",
           "outbox_oldest_age_seconds", "ticket_deadline_timestamp_seconds", "agent_last_seen_timestamp_seconds",
           "agent_revoked")
_COUNTERS = ("workers", "push_dropped_results", "ticket_operations", "agent_dropped_results", "agent_received_results")
OWN_FAMILIES = frozenset({f"patrol_{n}" for n in _GAUGES} |
                         {f"patrol_{n}{suffix}" for n in _COUNTERS for suffix in ("", "_total", "_created")})
WORKER_OUTCOMES = ("ok", "failed", "killed")
# Units converted to Prometheus base units on the way out: (suffix, new suffix, factor).
_UNIT_CONVERSIONS = {"days": ("seconds", 86400.0), "percent": ("ratio", 0.01)}


@dataclass(frozen=True, slots=True)
class SnapshotEntry:
    result: CheckResult
    duration_s: float
    run_started_ts: float
    site: str = ""  # set where one snapshot holds several sites (the site collector)


@dataclass(frozen=True, slots=True)
class PushStats:
    """The push outbox as the last worker saw it (agent/run/push.py; the ``push`` wire message)."""

    pending: int
    dropped_total: int
    last_success: float | None

    @classmethod
    def from_json(cls, body: dict[str, object]) -> "PushStats":
        last = body.get("last_success")
        return cls(int(body["pending"]), int(body["dropped_total"]),  # type: ignore[call-overload]
                   None if last is None else float(last))  # type: ignore[arg-type]


class TicketGauges:
    """The latest ticket activity a worker reported, with operation counts summed; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latest: TicketActivity | None = None
        self._operations: dict[tuple[str, str], int] = {}
        self._notifications: dict[tuple[str, str], int] = {}  # (channel, outcome) -> count

    def update(self, activity: TicketActivity) -> None:
        with self._lock:
            self.latest = activity
            for totals, counts in ((self._operations, activity.operations),
                                   (self._notifications, activity.notifications)):
                for key, outcome, count in counts:
                    totals[(key, outcome)] = totals.get((key, outcome), 0) + count

    def read(self) -> tuple[TicketActivity | None, dict[tuple[str, str], int]]:
        with self._lock:
            return self.latest, dict(self._operations)

    def notifications(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._notifications)


class Snapshot:
    """The latest run per (collector, target); thread-safe (scrapes come from the HTTP thread)."""

    def __init__(self, site: str, tickets: TicketGauges | None = None):
        self.site = site
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, str], tuple[SnapshotEntry, ...]] = {}
        self._workers: dict[str, int] = {outcome: 0 for outcome in WORKER_OUTCOMES}
        self.tickets = tickets if tickets is not None else TicketGauges()
        self._push: PushStats | None = None

    def set_push(self, stats: PushStats) -> None:
        with self._lock:
            self._push = stats

    def push(self) -> PushStats | None:
        with self._lock:
            return self._push

    def update(self, run: CheckRun) -> None:
        entries = tuple(SnapshotEntry(r, run.duration_s, run.started_at.timestamp()) for r in run.results)
        with self._lock:
            self._runs[(run.collector, run.target)] = entries

    def load(self, latest: Iterable[object]) -> None:
        """Seed from the store's latest states (``agent.store.LatestState``) at start-up."""
        grouped: dict[tuple[str, str], list[SnapshotEntry]] = {}
        for state in latest:
            result = state.result  # type: ignore[attr-defined]
            grouped.setdefault((getattr(state, "site", ""), state.collector, result.target), []).append(  # type: ignore[attr-defined]
                SnapshotEntry(result, state.duration_s, result.observed_at.timestamp(),  # type: ignore[attr-defined]
                              getattr(state, "site", "")))
        with self._lock:
            for (site, collector, target), entries in grouped.items():
                # keyed by site only where entries carry one, so update() keeps replacing runs
                self._runs.setdefault((f"{site}\0{collector}" if site else collector, target), tuple(entries))

    def count_worker(self, outcome: str) -> None:
        """One `patrol run` worker ended: ``ok``, ``failed`` (non-zero exit) or ``killed`` (deadline)."""
        with self._lock:
            self._workers[outcome] += 1

    def worker_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._workers)

    def entries(self) -> list[SnapshotEntry]:
        with self._lock:
            return [e for run in self._runs.values() for e in run]


class PatrolCollector:
    """A prometheus_client custom collector; register it on a registry you own."""

    def __init__(self, snapshot: Snapshot, version: str, clock: Callable[[], float] = time.time):
        self.snapshot = snapshot
        self.version = version
        self.clock = clock  # ages are computed at scrape time: a stuck outbox keeps ageing between reports

    def describe(self) -> list[PromMetric]:
        return []  # dynamic families: tell the registry not to call collect() at registration

    def collect(self) -> Iterator[PromMetric]:
        site = self.snapshot.site
        state = GaugeMetricFamily("patrol_check_state", "State of a checked item: 0 ok, 1 warn, 2 crit, 3 unknown",
                                  labels=BASE_LABELS)
        duration = GaugeMetricFamily("patrol_check_duration_seconds",
                                     "Duration of the check run that produced the item's latest result", labels=BASE_LABELS)
        last_run = GaugeMetricFamily("patrol_check_last_run_timestamp_seconds",
                                     "Unix time when the check run that produced the item's latest result started",
                                     labels=BASE_LABELS)
        values: dict[str, dict[str, object]] = {}
        for entry in self.snapshot.entries():
            r = entry.result
            labels = (entry.site or site, r.target, r.check, r.item)
            state.add_metric(labels, r.state.exporter_value)
            duration.add_metric(labels, entry.duration_s)
            last_run.add_metric(labels, entry.run_started_ts)
            for metric in r.metrics:
                name, value = metric.name, metric.value
                if metric.unit in _UNIT_CONVERSIONS:
                    new_unit, factor = _UNIT_CONVERSIONS[metric.unit]
                    name = name[: -len(metric.unit)] + new_unit
                    value = value * factor
                # Prometheus keeps _count for histograms and summaries (promtool flags a gauge with it).
                name = name.removesuffix("_count") or name
                if "patrol_" + name in OWN_FAMILIES:
                    continue
                family = values.setdefault("patrol_" + name, {"unit": metric.unit, "samples": [], "checks": set()})
                family["samples"].append((dict(zip(BASE_LABELS, labels)) | dict(metric.labels), value))  # type: ignore[union-attr]
                family["checks"].add(r.check)  # type: ignore[union-attr]
        yield from (state, duration, last_run)
        workers = CounterMetricFamily("patrol_workers", "Worker processes of `patrol run` that ended, by outcome "
                                      "(failed: exited with an error; killed: passed its deadline)", labels=("outcome",))
        for outcome, count in self.snapshot.worker_counts().items():
            workers.add_metric((outcome,), count)
        yield workers
        push = self.snapshot.push()
        if push is not None:
            yield GaugeMetricFamily("patrol_push_pending_batches", "Batches of results waiting in the outbox for the "
                                    "collector", value=push.pending)
            yield CounterMetricFamily("patrol_push_dropped_results", "Results dropped from the push outbox past its "
                                      "size or age bound (or refused as too large)", value=push.dropped_total)
            if push.last_success is not None:
                yield GaugeMetricFamily("patrol_push_last_success_timestamp_seconds",
                                        "Unix time when the collector last took a batch", value=push.last_success)
        for name in sorted(values):
            samples = values[name]["samples"]
            label_names = list(BASE_LABELS) + sorted({k for s, _ in samples for k in s} - set(BASE_LABELS))  # type: ignore[union-attr]
            family = GaugeMetricFamily(name, metric_help(name.removeprefix("patrol_"), values[name]["unit"],  # type: ignore[arg-type]
                                                         values[name]["checks"]), labels=label_names)  # type: ignore[arg-type]
            for sample_labels, value in samples:  # type: ignore[union-attr]
                family.add_metric([sample_labels.get(k, "") for k in label_names], value)
            yield family
        yield from self._tickets(site)
        info = GaugeMetricFamily("patrol_build_info", "Patrol version and Python runtime", labels=("version", "python"))
        info.add_metric((self.version, platform.python_version()), 1)
        yield info


    def _tickets(self, site: str) -> Iterator[PromMetric]:
        activity, operations = self.snapshot.tickets.read()
        if activity is None:
            return
        site = activity.site or site
        open_ = GaugeMetricFamily("patrol_tickets_open", "Tickets not yet resolved, per SLA tier",
                                  labels=("site", "tier"))
        for tier, count in sorted(activity.open.items()):
            open_.add_metric((site, tier), count)
        yield open_
        yield GaugeMetricFamily("patrol_outbox_pending", "Ticket backend calls waiting in the outbox",
                                value=activity.pending)
        age = max(self.clock() - activity.oldest_queued_at, 0.0) if activity.oldest_queued_at is not None else 0.0
        yield GaugeMetricFamily("patrol_outbox_oldest_age_seconds",
                                "How long the oldest call waiting in the outbox has waited (0 when none)", value=age)
        ops = CounterMetricFamily("patrol_ticket_operations", "Ticket operations decided (outcome queued) and the "
                                  "outcomes of the backend calls carrying them", labels=("op", "outcome"))
        for (op, outcome), count in sorted(operations.items()):
            ops.add_metric((op, outcome), count)
        yield ops
        deadlines = GaugeMetricFamily("patrol_ticket_deadline_timestamp_seconds",
                                      "Unix time of an SLA deadline (response, resolve) an open ticket has still to meet",
                                      labels=("site", "ticket", "tier", "deadline"))
        for d in activity.deadlines:
            deadlines.add_metric((site, d.ticket, d.tier, d.deadline), d.at)
        yield deadlines
        notifications = self.snapshot.tickets.notifications()
        if notifications:  # notify is configured (docs/notifications.md)
            sent = CounterMetricFamily("patrol_notifications", "Notification deliveries per channel and outcome "
                                       "(sent, failed, rate_limited)", labels=("channel", "outcome"))
            for (channel, outcome), count in sorted(notifications.items()):
                sent.add_metric((channel, outcome), count)
            yield sent


def build_registry(snapshot: Snapshot, version: str, clock: Callable[[], float] = time.time) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PatrolCollector(snapshot, version, clock))
    return registry


# Connections served at once, each with a socket timeout: Prometheus needs one, a few
# curl users a couple more. prometheus_client's own server starts a thread per connection
# without limit or timeout, so 1,100 idle connections under a 1024-descriptor limit took
# every descriptor: scrapes failed and no worker could start ("Too many open files").
MAX_CONNECTIONS = 32
CONNECTION_TIMEOUT_S = 5.0
# Descriptors kept free for what the supervisor must still do: start workers (three pipes
# each), write its log, open the store.
FD_RESERVE = 128


def connection_cap(soft_limit: int | None = None, max_connections: int = MAX_CONNECTIONS,
                   reserve: int = FD_RESERVE) -> int:
    """How many connections /metrics may hold open, within the process's descriptor limit."""
    if soft_limit is None:
        try:
            import resource

            soft_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        except (ImportError, ValueError, OSError):  # Windows: no RLIMIT_NOFILE
            return max_connections
        if soft_limit == resource.RLIM_INFINITY:
            return max_connections
    return max(1, min(max_connections, (soft_limit - reserve) // 2))


class _BoundedServer(ThreadingMixIn, WSGIServer):
    """A WSGI server that holds at most ``max_connections`` connections (each with a
    timeout). When all are taken, the oldest connection that has not yet sent a whole
    request is dropped for the newcomer: idle connections cannot lock out a scrape, and
    the server's descriptors and threads stay bounded."""

    daemon_threads = True
    max_connections = MAX_CONNECTIONS
    dropped = 0

    def server_activate(self) -> None:
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self._lock = threading.Lock()
        self._waiting: dict[Any, float] = {}  # connection -> when accepted, until its request is read
        self.socket.listen(128)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self._drop_oldest_waiting()
            if not self._slots.acquire(timeout=1.0):
                self.dropped += 1
                self.shutdown_request(request)
                return
        with self._lock:
            self._waiting[request] = time.monotonic()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._finished(request)
            raise

    def _drop_oldest_waiting(self) -> None:
        with self._lock:
            if not self._waiting:
                return
            oldest = min(self._waiting, key=self._waiting.__getitem__)
            del self._waiting[oldest]
        self.dropped += 1
        try:
            oldest.shutdown(socket.SHUT_RDWR)  # its handler's read returns at once and frees the slot
        except OSError:
            pass

    def request_read(self, request: Any) -> None:
        with self._lock:
            self._waiting.pop(request, None)

    def _finished(self, request: Any) -> None:
        self.request_read(request)
        self._slots.release()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._finished(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that times out, resets or is dropped is not an error of the agent


class _QuietHandler(WSGIRequestHandler):
    timeout = CONNECTION_TIMEOUT_S  # StreamRequestHandler sets it on the socket: idle clients are dropped

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if ok:
            self.server.request_read(self.request)  # type: ignore[attr-defined]
        return ok

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(registry: CollectorRegistry, listen: str, *, max_connections: int | None = None):
    """Start the /metrics HTTP server in a daemon thread; returns (server, thread)."""
    from prometheus_client import make_wsgi_app

    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    family = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0][0]
    server_class = type("MetricsServer", (_BoundedServer,), {
        "address_family": family, "max_connections": max_connections or connection_cap()})
    server = server_class((host, int(port)), _QuietHandler)
    server.set_app(make_wsgi_app(registry))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True,
                              name="patrol-metrics")
    thread.start()
    return server, thread
