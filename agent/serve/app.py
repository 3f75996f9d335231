"""The collector's HTTP API (FastAPI): enrolment, pushed results, central settings,
Alertmanager alerts, the CA certificate and /metrics.

Every body is a pydantic model from agent/fleet/protocol.py, so a wrong one is a 422
naming the field; size, encoding and slow bodies are handled before the routes
(agent/serve/limits.py); every error is ``{"detail": "..."}``. Routes that write do so in
a thread (the store is synchronous), so a slow disk never stalls other connections.
"""

# (no `from __future__ import annotations`: FastAPI reads the route annotations at runtime,
# and the dependency `agent_of` is local to create_app)

import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import exc as sa_exc
from prometheus_client.registry import CollectorRegistry

from agent.fleet.protocol import (ALERTMANAGER_PATH, ASSETS_PATH, CA_PATH, CONFIG_PATH, ENROLL_PATH, RESULTS_PATH,
                                  AgentConfig, AssetAck, AssetPush, BatchAck, EnrollRequest, EnrollResponse, Problem,
                                  ResultBatch)
from agent.serve.alerts import AmWebhook, alert_runs, alert_tiers
from agent.serve.ingest import AgentRevoked, Ingestor
from agent.serve.limits import BodyLimits
from agent.serve.pump import TicketPump
from agent.serve.registry import AgentRecord, AgentRegistry, EnrolmentRefused
from collectors.base import utcnow

log = logging.getLogger(__name__)
# A request that needs the database while it cannot be reached (network cut, PostgreSQL
# restarting, pool exhausted): 503 with Retry-After, so agents and balancers wait instead
# of treating it as a bug. Agents keep their batches in the outbox and honour the header.
DB_RETRY_AFTER_S = 30
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": Problem} for code in (400, 401, 403, 404, 413, 415)}


@dataclass
class CollectorServices:
    """What the routes work with; built by agent/serve/server.py, replaced by fakes in no test."""

    registry: AgentRegistry
    ingestor: Ingestor
    pump: TicketPump
    metrics: CollectorRegistry
    default_site: str
    sites: frozenset[str]
    version: str
    ca_pem: bytes | None
    agent_checks: Callable[[str], dict[str, Any]]  # site -> checks the centre sends
    local_overrides: tuple[str, ...]
    alert_token: Callable[[], str | None]
    alert_settings: Any  # config.fleet.AlertmanagerSettings
    audit: Callable[[str, str, str, Mapping[str, Any]], None]  # site, action, subject, detail
    on_alert_tiers: Callable[[str, dict[str, str]], None] = lambda site, tiers: None
    clock: Callable[[], datetime] = utcnow
    console: Any = None  # the web console's APIRouter (agent/serve/console/web.py), mounted at /
    # site, target, snapshot, at -> stored (the asset archive, agent/assets/archive.py); None: no archive here
    record_asset: Callable[[str, str, Any, datetime], bool] | None = None
    warned_revoked: set[str] = field(default_factory=set)


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def etag_of(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return '"' + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32] + '"'


def create_app(services: CollectorServices, *, max_body_bytes: int, body_timeout_s: float = 30.0) -> Any:
    app = FastAPI(title="Patrol site collector", version=services.version,
                  description="Agents enrol, push their results and fetch their settings here. See docs/fleet.md.",
                  docs_url=None, redoc_url=None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # One line per problem, naming the field: what an engineer reads in the agent's log.
        problems = []
        for error in exc.errors()[:20]:
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
            problems.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
        return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=422)

    @app.exception_handler(sa_exc.OperationalError)
    @app.exception_handler(sa_exc.InterfaceError)
    @app.exception_handler(sa_exc.TimeoutError)
    async def _database_unreachable(request: Request, exc: Exception) -> JSONResponse:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        log.warning("%s %s: the database cannot be reached (%s); answered 503", request.method, request.url.path,
                    first[0][:200] if first else type(exc).__name__)
        return JSONResponse({"detail": f"the collector's database cannot be reached; retry in {DB_RETRY_AFTER_S} s"},
                            status_code=503, headers={"Retry-After": str(DB_RETRY_AFTER_S)})

    def agent_of(authorization: Annotated[str | None, Header()] = None) -> AgentRecord:
        credential = _bearer(authorization)
        if credential is None:
            raise HTTPException(401, "no agent credential (Authorization: Bearer ...); enrol with `patrol enroll`")
        agent = services.registry.authenticate(credential)
        if agent is None:
            raise HTTPException(401, "unknown agent credential; enrol again with `patrol enroll`")
        if agent.revoked:
            if agent.agent_id not in services.warned_revoked:  # once, not once per retry
                services.warned_revoked.add(agent.agent_id)
                log.warning("revoked agent %s (%s/%s) is still pushing; refused", agent.agent_id[:8], agent.site,
                            agent.target)
            raise HTTPException(403, "this agent was revoked on the collector; nothing it sends is stored")
        return agent

    @app.post(ENROLL_PATH, response_model=EnrollResponse, responses=ERRORS)
    def enroll(body: EnrollRequest, request: Request) -> EnrollResponse:
        try:
            record, credential, known = services.registry.enroll(body)
        except EnrolmentRefused as exc:
            raise HTTPException(403, str(exc)) from None
        services.warned_revoked.discard(record.agent_id)
        services.audit(record.site, "agent.reenroll" if known else "agent.enroll", record.target,
                       {"agent_id": record.agent_id, "hostname": record.hostname,
                        "from": request.client.host if request.client else None})
        log.info("%s agent %s as %s/%s", "re-enrolled" if known else "enrolled", record.agent_id[:8], record.site,
                 record.target)
        return EnrollResponse(agent_id=record.agent_id, site=record.site, target=record.target,
                              credential=credential, reenrolled=known)

    @app.post(RESULTS_PATH, response_model=BatchAck, responses=ERRORS)
    def results(batch: ResultBatch, request: Request, agent: Annotated[AgentRecord, Depends(agent_of)]) -> BatchAck:
        try:
            ack, stored = services.ingestor.store_batch(agent, batch, request.client.host if request.client else None)
        except AgentRevoked:
            raise HTTPException(403, "this agent was revoked on the collector; nothing it sends is stored") from None
        if stored is not None:
            services.pump.submit(stored.site, stored.runs)
        return ack

    @app.post(ASSETS_PATH, response_model=AssetAck, responses={**ERRORS, 422: {"model": Problem}})
    def assets(body: AssetPush, agent: Annotated[AgentRecord, Depends(agent_of)]) -> AssetAck:
        from agent.assets.model import SnapshotError, from_json

        try:
            snapshot = from_json(body.snapshot)
        except SnapshotError as exc:
            raise HTTPException(422, str(exc)) from None
        if snapshot.kind != "computer":  # an agent pushes its own computer; devices are polled by the collector
            raise HTTPException(422, f"snapshot.kind: an agent pushes a computer, not a {snapshot.kind!r}")
        if snapshot.content_hash() != body.hash:
            raise HTTPException(422, "hash: does not match the snapshot's content hash (changed on the way?)")
        if services.record_asset is None:
            raise HTTPException(404, "this collector keeps no asset archive")
        # Filed under the agent's own target, whatever the body says; at = when the agent captured it.
        stored = services.record_asset(agent.site, agent.target, snapshot, snapshot.captured_at)
        return AssetAck(hash=body.hash, stored=bool(stored))

    @app.get(CONFIG_PATH, response_model=AgentConfig, responses={304: {"description": "not modified"}, **ERRORS})
    def config(agent: Annotated[AgentRecord, Depends(agent_of)], response: Response,
               if_none_match: Annotated[str | None, Header()] = None) -> Any:
        document = AgentConfig(site=agent.site, target=agent.target, checks=services.agent_checks(agent.site),
                               local_overrides=list(services.local_overrides))
        tag = etag_of(document.model_dump())
        if if_none_match is not None and tag in {t.strip() for t in if_none_match.split(",")}:
            return Response(status_code=304, headers={"ETag": tag})
        response.headers["ETag"] = tag
        return document

    @app.post(ALERTMANAGER_PATH, responses=ERRORS)
    def alertmanager(payload: AmWebhook, authorization: Annotated[str | None, Header()] = None) -> dict[str, int]:
        expected = services.alert_token()
        if expected is None:
            raise HTTPException(404, "the Alertmanager receiver is off (set serve.alertmanager.token)")
        given = _bearer(authorization)
        if given is None or not secrets.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(401, "wrong or missing bearer token for the Alertmanager receiver")
        am = services.alert_settings
        now = services.clock()
        by_site = alert_runs(payload, default_site=services.default_site, default_target="prometheus",
                             target_labels=am.target_labels, severity_label=am.severity_label,
                             severity_map=am.severity_map, tier_label=am.tier_label, now=now)
        count = 0
        for site, runs in by_site.items():
            if site not in services.sites:
                site = services.default_site  # an alert for a site this collector does not hold
            services.on_alert_tiers(site, alert_tiers(payload, am.tier_label, am.tier_map))
            services.ingestor.store_runs(site, runs)
            services.pump.submit(site, runs)
            count += sum(len(r.results) for r in runs)
        return {"results": count}

    @app.get(CA_PATH, response_class=PlainTextResponse, responses={404: {"model": Problem}})
    def ca() -> PlainTextResponse:
        if services.ca_pem is None:
            raise HTTPException(404, "this collector serves no CA certificate (TLS is off or given without ca_file)")
        return PlainTextResponse(services.ca_pem.decode("ascii"), media_type="application/x-pem-file")

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        body = await run_in_threadpool(generate_latest, services.metrics)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    if services.console is not None:
        app.include_router(services.console)
    return BodyLimits(app, max_body_bytes, read_deadline_s=body_timeout_s), app
