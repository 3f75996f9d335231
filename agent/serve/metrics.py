"""The collector's /metrics: every site's latest results (agents, devices, alerts) plus what it
knows of each agent.

Built from the store at scrape time (cached for a few seconds, as a scrape every 15 s of
120,000 series must not read the database twice), through the same exporter code as an
agent's own /metrics, so series names and units are identical everywhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric as PromMetric
from prometheus_client.registry import CollectorRegistry

from agent.exporter import PatrolCollector, Snapshot
from agent.serve.registry import AgentRecord

CACHE_S = 5.0


class CachedSnapshot:
    """A Snapshot of every site's latest states, rebuilt at most every ``cache_s`` seconds."""

    def __init__(self, load: Callable[[], Iterable[object]], cache_s: float = CACHE_S,
                 worker_counts: Callable[[], dict[str, int]] | None = None):
        self._load = load
        self._cache_s = cache_s
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._at = 0.0
        self._worker_counts = worker_counts

    def get(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None or time.monotonic() - self._at > self._cache_s:
                snapshot = Snapshot("")
                snapshot.load(self._load())
                if self._worker_counts is not None:
                    for outcome, count in self._worker_counts().items():
                        for _ in range(count):
                            snapshot.count_worker(outcome)
                self._snapshot, self._at = snapshot, time.monotonic()
            return self._snapshot

    def invalidate(self) -> None:
        with self._lock:
            self._snapshot = None


class _LatestCollector:
    def __init__(self, cached: CachedSnapshot, version: str):
        self.cached = cached
        self.version = version

    def describe(self) -> list[PromMetric]:
        return []

    def collect(self) -> Iterator[PromMetric]:
        yield from PatrolCollector(self.cached.get(), self.version).collect()


class AgentsCollector:
    """``patrol_agent_*`` series, one per enrolled agent. (The clock offset is the
    ``agent.clock`` result's own metric, ``patrol_agent_clock_offset_seconds``.)"""

    def __init__(self, agents: Callable[[], Sequence[AgentRecord]]):
        self.agents = agents

    def describe(self) -> list[PromMetric]:
        return []

    def collect(self) -> Iterator[PromMetric]:
        labels = ("site", "target")
        seen = GaugeMetricFamily("patrol_agent_last_seen_timestamp_seconds",
                                 "Unix time of the agent's last push the collector received (0: never)", labels=labels)
        revoked = GaugeMetricFamily("patrol_agent_revoked", "1 when the agent's credential was revoked", labels=labels)
        dropped = CounterMetricFamily("patrol_agent_dropped_results",
                                      "Results the agent dropped past its outbox bound (reported by the agent)", labels=labels)
        results = CounterMetricFamily("patrol_agent_received_results",
                                      "Results the collector stored from this agent", labels=labels)
        for agent in self.agents():
            key = (agent.site, agent.target)
            seen.add_metric(key, agent.last_seen.timestamp() if agent.last_seen else 0.0)
            revoked.add_metric(key, 1.0 if agent.revoked else 0.0)
            dropped.add_metric(key, agent.dropped_total)
            results.add_metric(key, agent.results_total)
        yield from (seen, revoked, dropped, results)


def build_collector_registry(cached: CachedSnapshot, agents: Callable[[], Sequence[AgentRecord]],
                             version: str) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_LatestCollector(cached, version))
    registry.register(AgentsCollector(agents))
    return registry
