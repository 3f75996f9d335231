"""Fixtures of the ticketing tests: a clock we move, a store per test, a real RT 5 per session,
and a local HTTP receiver for the webhook backend."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from agent.context import store_components
from agent.store import Store
from agent.ticketing.backends.base import BackendRejected, BackendUnavailable
from agent.ticketing.backends.builtin import BuiltinBackend
from agent.ticketing.service import TicketingService
from collectors.base import CheckResult, CheckRun, State
from config.schema import Settings
from inventory.models import Host, Inventory, NetworkDevice
from tests.ticketing.rt_server import RtInstance, prepare

START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, start: datetime = START):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def settings_with(site: str = "acme", **ticketing: Any) -> Settings:
    base = Settings().model_dump(mode="json", exclude={"agent"})
    base["agent"] = {"site": site, "name": "collector-1"}
    # Most tests follow one finding's ticket through its life: one ticket per finding unless a test groups.
    base["ticketing"] = {**base["ticketing"], "grouping": "finding", **ticketing}
    return Settings.model_validate(base)


def result(target: str, check: str, state: State, at: datetime, item: str = "", summary: str | None = None) -> CheckResult:
    return CheckResult(check, target, item, state, summary or f"{check} {state.value}", observed_at=at)


def run_of(*results: CheckResult) -> list[CheckRun]:
    """One CheckRun per (collector, target), as the runner would hand them over."""
    runs: dict[tuple[str, str], list[CheckResult]] = {}
    for r in results:
        runs.setdefault((r.check.split(".")[0], r.target), []).append(r)
    at = results[0].observed_at if results else START
    return [CheckRun(c, t, at, 0.1, tuple(rs)) for (c, t), rs in runs.items()]


def inventory_with_switch(hosts: int = 20) -> Inventory:
    return Inventory(
        hosts=(Host(name="collector-1", local=True),
               *(Host(name=f"pc-{i:02d}", address=f"10.0.0.{i + 10}", depends_on=("sw1",)) for i in range(hosts))),
        network_devices=(NetworkDevice(name="sw1", address="10.0.0.2", criticality="high"),))


class FlakyBackend(BuiltinBackend):
    """The builtin backend, down or refusing when the test says so (``mode``), with ``message`` as its error."""

    mode = "up"
    message = "down for the test"

    def _guard(self) -> None:
        if self.mode == "down":
            raise BackendUnavailable(self.message)
        if self.mode == "refuse":
            raise BackendRejected("refused for the test")

    def find(self, *a, **k):
        self._guard()
        return super().find(*a, **k)

    def open(self, *a, **k):
        self._guard()
        return super().open(*a, **k)

    def _update(self, *a, **k):
        self._guard()
        return super()._update(*a, **k)


@dataclass
class Harness:
    """A ticketing service over a fresh store, with a clock the test moves."""

    store: Store
    clock: Clock
    service: TicketingService
    inventory: Inventory

    def cycle(self, *states: tuple[str, str, State] | tuple[str, str, State, str], minutes: float = 5):
        at = self.clock.advance(minutes=minutes)
        results = [result(s[0], s[1], s[2], at, s[3] if len(s) > 3 else "") for s in states]
        return self.service.process(run_of(*results))


@pytest.fixture
def make_harness(tmp_path: Path):
    stores: list[Store] = []

    def make(settings: Settings | None = None, *, inventory: Inventory | None = None, backend: Any = None,
             db: Path | None = None, clock: Clock | None = None, notify: Any = None) -> Harness:
        settings = settings or settings_with()
        store = Store.open(f"sqlite:///{db or tmp_path / 'patrol.sqlite'}", settings.agent.site, store_components())
        stores.append(store)
        clock = clock or Clock()
        inventory = inventory or inventory_with_switch(3)
        if isinstance(backend, type):  # a backend class that needs this store (builtin and its variants)
            backend = backend(store.engine, clock)
        service = TicketingService(settings, store, inventory, clock, backend=backend, notify=notify)
        return Harness(store, clock, service, inventory)

    yield make
    for store in stores:
        store.close()


# --- a real Request Tracker 5 ----------------------------------------------------------------

@pytest.fixture(scope="session")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtInstance]:
    instance = prepare(tmp_path_factory.mktemp("rt"))
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


# --- a local HTTP receiver -------------------------------------------------------------------

@dataclass
class Receiver:
    """Records every POST; ``status`` (or ``script``, a list used up in order) sets the answers."""

    url: str = ""
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 202
    script: list[Any] = field(default_factory=list)
    body: bytes = b'{"status":"success"}'
    lock: threading.Lock = field(default_factory=threading.Lock)

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with rec.lock:
                action = rec.script.pop(0) if rec.script else rec.status
            if action == "hang":
                threading.Event().wait(3)
                return
            if isinstance(action, tuple):  # (status, body)
                status, reply = action
            else:
                status, reply = action, rec.body
            if 200 <= status < 300 and self.command == "POST":
                with rec.lock:
                    rec.requests.append(({k: v for k, v in self.headers.items()}, body))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_POST = do_GET = do_PUT = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
