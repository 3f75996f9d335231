"""`patrol serve`: the site collector as one process.

It holds the site's store and ticket engine, serves the API (agent/serve/app.py) over
HTTPS with uvicorn, and runs beside it:

- the network-device families (switch, printer_snmp, netconfig) and this machine's own
  checks, on their schedules, through the same supervisor and short-lived workers as
  `patrol run` (agent/daemon.py);
- the watch loop: ``agent.silent`` for agents that stopped pushing, ``host.reachability``
  for every inventory host and every agent's computer;
- the ticket pump (agent/serve/pump.py): pushed, watched and alerted results go to each
  site's ticket engine in batches, off the request path.

SIGTERM/SIGINT: stop accepting, finish the requests in flight, decide on what is
pending, stop the workers; everything acknowledged to an agent is already committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from agent.context import AppContext, store_components
from agent.dblock import Leadership
from agent.serve.alerts import with_alert_policy
from agent.serve.app import CollectorServices, create_app
from agent.serve.console.schema import CONSOLE
from agent.serve.ingest import Ingestor
from agent.serve.leases import LEASES
from agent.serve.metrics import CachedSnapshot, build_collector_registry
from agent.serve.pump import TicketPump
from agent.serve.registry import AgentRegistry
from agent.serve.schema import FLEET
from agent.serve.tls import TlsFiles, ensure_tls
from agent.serve.watch import REACH_CHECK, WATCH_COLLECTOR, probe, reach_result, silence_runs
from agent.store import Store
from agent.worker import REPLICA_ENV
from collectors.base import CheckRun
from config.fleet import merge_checks
from config.secrets import SecretUnavailable, resolve_secret

log = logging.getLogger(__name__)
SILENCE_EVERY_S = 60.0
ASSETS_EVERY_S = 3600.0  # the asset archive's findings (hardware changes, warranties): hourly is plenty
REACH_CONCURRENCY = 128
# SIGTERM: requests in flight get this long to finish (a push commits in milliseconds; an
# agent whose answer is cut off sends the batch again, and a re-sent batch is a no-op).
GRACEFUL_STOP_S = 10


class IdleClosingH11(H11Protocol):
    """uvicorn closes idle keep-alive connections, but not a new one that never sends a
    request: start the same idle timer at connect, so thousands of silent sockets cannot
    hold the collector's connection slots (complete request headers stop the timer)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def data_received(self, data: bytes) -> None:
        # uvicorn stops the idle timer at a request's first byte; keep it running until the
        # headers are complete, so a client trickling its headers is dropped after
        # serve.keepalive_s like a silent one (a trickled body meets serve.body_timeout_s).
        timer, self.timeout_keep_alive_task = self.timeout_keep_alive_task, None
        super().data_received(data)
        if timer is None:
            return
        if self.cycle is None or self.cycle.response_complete:  # still waiting for headers
            if self.timeout_keep_alive_task is None:
                self.timeout_keep_alive_task = timer
            else:
                timer.cancel()
        else:
            timer.cancel()

    # An idle connection is dropped, not closed politely: closing a TLS connection waits
    # (asyncio's ssl_shutdown_timeout, 30 s) for the client's close_notify, which an idle
    # client never sends, so each idle socket would live 30 s past serve.keepalive_s and a
    # SIGTERM would wait for every idle agent connection.

    def _drop_idle(self) -> None:
        self.conn.send(h11.ConnectionClosed())
        self.transport.abort()

    def timeout_keep_alive_handler(self) -> None:
        if not self.transport.is_closing():
            self._drop_idle()

    def shutdown(self) -> None:
        if self.cycle is None or self.cycle.response_complete:
            self._drop_idle()
        else:
            self.cycle.keep_alive = False  # closed after this response, as uvicorn does


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, handshake_timeout_s: float):
        super().__init__(config)
        self.handshake_timeout_s = handshake_timeout_s

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # `patrol serve` handles SIGTERM itself: it has more than uvicorn to stop.
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # Under TLS the protocol (and IdleClosingH11's timer) only starts once the handshake
        # is done, so a connection that never sends a byte is asyncio's to time out, after
        # 60 s by default: bound the handshake by serve.keepalive_s instead. uvicorn has no
        # setting for it; the loop's create_server is wrapped for this one call.
        loop = asyncio.get_running_loop()
        create = loop.create_server

        def create_server(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("ssl") is not None:
                kwargs.setdefault("ssl_handshake_timeout", self.handshake_timeout_s)
            return create(*args, **kwargs)

        loop.create_server = create_server  # type: ignore[method-assign]
        try:
            await super().startup(sockets)
        finally:
            del loop.create_server


@dataclass(frozen=True)
class SiteView:
    name: str
    inventory: Any  # inventory.models.Inventory


class Collector:
    """The running collector: store, registry, ticket services per site, watch loop."""

    def __init__(self, ctx: AppContext, version: str):
        self.ctx = ctx
        self.settings = ctx.settings
        self.version = version
        serve = self.settings.serve
        self.engine = Store.open(self.settings.store_url, self.settings.agent.site,
                                 [*store_components(), FLEET, CONSOLE, LEASES]).engine
        self.registry = AgentRegistry(self.engine, ctx.clock)
        self.ingestor = Ingestor(self.engine, self.store_for, clock_skew_warn_s=serve.clock_skew_warn_s,
                                 clock=ctx.clock)
        self.pump = TicketPump(self.ticket_service, serve.ticket_delay_s)
        # Replicas: one of them runs the watch loop (silence, reachability), or every agent
        # and host would be judged once per replica.
        self.watch_leader = (Leadership(self.engine, "patrol.serve.watch")
                             if serve.replicas.enabled and self.engine.dialect.name == "postgresql" else None)
        self.sites = self._sites()
        self.console = self._console()

    def _sites(self) -> dict[str, SiteView]:
        from inventory.loader import load_inventory

        sites = {self.settings.agent.site: SiteView(self.settings.agent.site, self.ctx.inventory)}
        for name, entry in self.settings.serve.sites.items():
            path = self.settings.resolve(entry.inventory) if entry.inventory else None
            sites[name] = SiteView(name, load_inventory(path, local_name=self.settings.agent.name))
        return sites

    def _console(self) -> Any:
        from agent.serve.console.accounts import Accounts
        from agent.serve.console.throttle import Throttle
        from agent.serve.console.web import ConsoleDeps, console_router

        return console_router(ConsoleDeps(
            Accounts(self.engine, self.ctx.clock), Throttle(self.ctx.clock), self.sites, self.settings.agent.site,
            self.store_for, self.ticket_service, self.registry, self.ctx.clock, self.version, self.ctx,
            self.settings.reports.timezone, self.settings.serve.console.active_directory))

    def record_asset(self, site: str, target: str, snapshot: Any, at: datetime) -> bool:
        """A pushed asset snapshot into the site's archive; True when its content was new."""
        from agent.assets.archive import record

        return bool(record(self.engine, site, target, snapshot, at).stored)

    @cache  # noqa: B019 - one Store per site for the collector's lifetime
    def store_for(self, site: str) -> Store:
        return Store(self.engine, site)

    @cache  # noqa: B019 - one ticket service per site; it re-reads its state each cycle
    def ticket_service(self, site: str) -> Any | None:
        if not self.settings.ticketing.enabled:
            return None
        try:
            from agent.ticketing.service import TicketingService
        except ImportError:
            return None
        view = self.sites.get(site)
        inventory = view.inventory if view is not None else self.ctx.inventory
        return TicketingService(with_alert_policy(self.settings), self.store_for(site), inventory, self.ctx.clock)

    def add_alert_tiers(self, site: str, tiers: dict[str, str]) -> None:
        service = self.ticket_service(site)
        if service is None or not tiers:
            return
        known = {t.name for t in self.settings.ticketing.tiers}
        for check, tier in tiers.items():
            if tier in known:
                service.engine.check_tiers[check] = tier
            else:
                log.warning("alert %s names tier %r, which is not one of %s; the priority table decides",
                            check, tier, sorted(known))

    def agent_checks(self, site: str) -> dict[str, Any]:
        serve = self.settings.serve
        return merge_checks(serve.agent_checks, serve.site_checks.get(site, {}))

    def audit(self, site: str, action: str, subject: str, detail: Mapping[str, Any]) -> None:
        try:
            self.store_for(site).audit(action, subject, detail)
        except Exception as exc:  # noqa: BLE001 - the audit must not fail an enrolment already committed
            log.error("could not write the audit entry %s %s: %s", action, subject, exc)

    def alert_token(self) -> str | None:
        ref = self.settings.serve.alertmanager.token
        if ref is None:
            return None
        try:
            return resolve_secret(ref)
        except SecretUnavailable as exc:
            log.error("serve.alertmanager.token: %s; alerts are refused until it is set", exc)
            return None

    # --- the watch loop ----------------------------------------------------------------------

    def watch_silence(self, now: datetime) -> int:
        serve = self.settings.serve
        by_site = silence_runs(self.registry.list(), now, after_intervals=serve.silent_after_intervals,
                               min_s=serve.silent_min_s)
        for site, runs in by_site.items():
            self.ingestor.store_runs(site, runs)
            self.pump.submit(site, runs)
        return sum(len(runs) for runs in by_site.values())

    def watch_assets(self, now: datetime) -> int:
        """``assets.hardware`` and ``assets.warranty`` of every site (agent/assets/findings.py): pushed
        snapshots arrive only when they changed, so their findings are evaluated here, not per push."""
        from zoneinfo import ZoneInfo

        from agent.assets.findings import Rules, archive_runs

        params = self.settings.checks.assets
        if not params.enabled:
            return 0
        today = now.astimezone(ZoneInfo(self.settings.reports.timezone)).date()
        count = 0
        for view in self.sites.values():
            runs = archive_runs(self.engine, view.name, view.inventory, now, Rules.from_params(params), today=today)
            if runs:
                self.ingestor.store_runs(view.name, runs)
                self.pump.submit(view.name, runs)
            count += len(runs)
        return count

    def reach_targets(self) -> list[tuple[str, str, str]]:
        """(site, target, address) of each inventory host and each agent's computer."""
        out: dict[tuple[str, str], str] = {}
        for site in self.sites.values():
            for host in site.inventory.hosts:
                if not host.local:
                    out[(site.name, host.name)] = host.address
        for agent in self.registry.list():
            if not agent.revoked and agent.address and (agent.site, agent.target) not in out:
                out[(agent.site, agent.target)] = agent.address
        return [(site, target, address) for (site, target), address in sorted(out.items())]

    async def watch_reachability(self, now: datetime) -> int:
        reach = self.settings.serve.reachability
        targets = self.reach_targets()
        limit = asyncio.Semaphore(REACH_CONCURRENCY)

        async def one(site: str, target: str, address: str) -> tuple[str, CheckRun]:
            async with limit:
                outcome = await probe(address, icmp=reach.icmp, tcp_ports=reach.tcp_ports, timeout_s=reach.timeout_s)
            return site, CheckRun(WATCH_COLLECTOR, target, now, outcome.rtt_s or 0.0,
                                  (reach_result(target, address, outcome, now),))

        by_site: dict[str, list[CheckRun]] = {}
        for site, run in await asyncio.gather(*(one(*t) for t in targets)):
            by_site.setdefault(site, []).append(run)
        for site, runs in by_site.items():
            await asyncio.to_thread(self.ingestor.store_runs, site, runs)
            self.pump.submit(site, runs)
        return len(targets)

    async def keep_alive(self, replica: str, stop: asyncio.Event) -> None:
        from agent.serve.leases import Leases, keep_alive

        leases = Leases(self.engine, self.settings.agent.site, replica, lease_s=self.settings.serve.replicas.lease_s,
                        clock=self.ctx.clock)
        await keep_alive(leases, stop, on_error=lambda exc: log.error(
            "replica %s: cannot renew its row in collector_replicas (%s: %s); the others take its share meanwhile",
            replica, type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""))

    async def watch(self, stop: asyncio.Event) -> None:
        reach = self.settings.serve.reachability
        loop = asyncio.get_running_loop()
        next_silence = next_reach = next_assets = loop.time() + 5.0  # give agents a moment to push after our restart
        while not stop.is_set():
            now_mono = loop.time()
            try:
                if self.watch_leader is not None and not await asyncio.to_thread(self.watch_leader.held):
                    # another replica watches; this one takes over within 5 s of that one's lock going
                    next_silence = next_reach = now_mono + 5.0
                else:
                    if now_mono >= next_silence:
                        next_silence = now_mono + SILENCE_EVERY_S
                        await asyncio.to_thread(self.watch_silence, self.ctx.clock())
                    if reach.enabled and now_mono >= next_reach:
                        next_reach = now_mono + reach.interval_s
                        await self.watch_reachability(self.ctx.clock())
                    if now_mono >= next_assets:  # woken at least every SILENCE_EVERY_S, so this is on time
                        next_assets = now_mono + ASSETS_EVERY_S
                        await asyncio.to_thread(self.watch_assets, self.ctx.clock())
            except Exception as exc:  # the loop must outlive a bad probe or a database hiccup
                log.error("watch loop: %s: %s", type(exc).__name__, exc)
                log.debug("watch loop", exc_info=True)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.5, min(next_silence, next_reach if reach.enabled
                                                                 else next_silence) - loop.time()))


def _has_archive() -> bool:
    """Whether this build has the asset archive (agent/assets/archive.py); without it /assets is a 404."""
    import importlib.util

    return importlib.util.find_spec("agent.assets.archive") is not None


def tls_files(settings: Any) -> tuple[TlsFiles | None, bool]:
    tls = settings.serve.tls
    if not tls.enabled:
        return None, False
    if tls.cert_file is not None or tls.key_file is not None:
        if tls.cert_file is None or tls.key_file is None:
            from config.loader import ConfigError

            raise ConfigError("serve.tls: give both cert_file and key_file, or neither (then a CA is made here)")
        ca = settings.resolve(tls.ca_file) if tls.ca_file else settings.resolve(tls.cert_file)
        return TlsFiles(settings.resolve(tls.cert_file), settings.resolve(tls.key_file), ca), False
    return ensure_tls(settings.state_dir / "tls", settings.agent.site, tls.names)


async def serve(ctx: AppContext, version: str, worker_argv: Sequence[str] | None, *,
                log_level: str | None = None, log_format: str | None = None) -> int:
    settings = ctx.settings
    serve_settings = settings.serve
    replica = replica_name(settings)
    if replica is not None:
        if not settings.store_url.startswith("postgresql"):
            print("patrol serve: serve.replicas.enabled needs a PostgreSQL store (store.url: postgresql+psycopg://...); "
                  "replicas share device polls and ticket decisions through it", file=sys.stderr)
            return 2
        os.environ[REPLICA_ENV] = replica  # the device workers claim their polls under this name
    collector = Collector(ctx, version)
    files, created = tls_files(settings)
    if files is not None:
        fingerprint = files.ca_fingerprint()
        verb = "created a CA for this collector" if created else "CA"
        print(f"patrol serve: {verb}; agents enrol with --ca-fingerprint {fingerprint}", file=sys.stderr, flush=True)
        log.info("CA certificate %s, SHA-256 fingerprint %s", files.ca_file, fingerprint)

    daemon = None
    if worker_argv is not None:
        from agent.daemon import Daemon

        daemon = Daemon(worker_argv, log_level=log_level, log_format=log_format)
        failed = await daemon.start()
        if failed is not None:
            return failed
    worker_counts = daemon.state.snapshot.worker_counts if daemon is not None and daemon.state.snapshot else None
    # one snapshot of every site's latest states for /metrics, with the device workers' counts
    snapshot = CachedSnapshot(lambda: collector.store_for(settings.agent.site).latest(every_site=True),
                              worker_counts=worker_counts)
    services = CollectorServices(
        registry=collector.registry, ingestor=collector.ingestor, pump=collector.pump,
        metrics=build_collector_registry(snapshot, collector.registry.list, version),
        default_site=settings.agent.site, sites=frozenset(collector.sites), version=version,
        ca_pem=files.ca_pem() if files is not None and files.ca_file.exists() else None,
        agent_checks=collector.agent_checks, local_overrides=serve_settings.local_overrides,
        alert_token=collector.alert_token, alert_settings=serve_settings.alertmanager, audit=collector.audit,
        on_alert_tiers=collector.add_alert_tiers, clock=ctx.clock, console=collector.console,
        record_asset=collector.record_asset if _has_archive() else None)
    asgi, _app = create_app(services, max_body_bytes=int(serve_settings.max_body_mb * 1024 * 1024),
                            body_timeout_s=serve_settings.body_timeout_s)
    host, _, port = serve_settings.listen.rpartition(":")
    config = uvicorn.Config(asgi, host=host.strip("[]"), port=int(port), http=IdleClosingH11, lifespan="off",
                            log_config=None, access_log=False, limit_concurrency=serve_settings.max_connections,
                            timeout_keep_alive=int(max(1, serve_settings.keepalive_s)), server_header=False,
                            timeout_graceful_shutdown=GRACEFUL_STOP_S,
                            ssl_certfile=str(files.cert_file) if files else None,
                            ssl_keyfile=str(files.key_file) if files else None)
    server = _Server(config, handshake_timeout_s=max(1.0, serve_settings.keepalive_s))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)

    collector.pump.start()
    tasks = [asyncio.create_task(collector.watch(stop), name="watch")]
    if daemon is not None:
        tasks.append(asyncio.create_task(daemon.serve_until(stop, version, serve_metrics=False), name="devices"))
        if replica is not None:  # alive for the fair shares of device polls (agent/serve/leases.py)
            tasks.append(asyncio.create_task(collector.keep_alive(replica, stop), name="replica-alive"))
    try:
        sock = bind(host.strip("[]"), int(port))
    except OSError as exc:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        collector.pump.stop()
        print(f"patrol serve: cannot listen on {serve_settings.listen} (serve.listen): {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    server_task = asyncio.create_task(server.serve(sockets=[sock]), name="api")
    await _wait_started(server, server_task)
    scheme = "https" if files else "http"
    log.info("collector for site(s) %s listening on %s://%s%s", ", ".join(sorted(collector.sites)), scheme,
             serve_settings.listen, f" as replica {replica}" if replica else "")
    await stop.wait()
    log.info("stopping")
    server.should_exit = True
    await asyncio.gather(server_task, *tasks, return_exceptions=True)
    await asyncio.to_thread(collector.pump.stop)
    if collector.watch_leader is not None:
        collector.watch_leader.release()  # another replica watches from its next round
    collector.engine.dispose()
    log.info("stopped")
    return 0


def replica_name(settings: Any) -> str | None:
    """This replica's name when serve.replicas is on (None: a single collector polls every device)."""
    replicas = settings.serve.replicas
    if not replicas.enabled:
        return None
    return replicas.name or f"{socket.gethostname()}-{os.getpid()}"


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a busy port is our one-line error, not uvicorn's exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def _wait_started(server: uvicorn.Server, task: asyncio.Task[None]) -> bool:
    while not server.started:
        if task.done():
            return False
        await asyncio.sleep(0.05)
    return True
