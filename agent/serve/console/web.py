"""The console's routes: login, the pages and the actions (acknowledge, comment, revoke).

Every page needs a session; a viewer sees only the site of their account and gets 404
for any other (not 403: another customer's site names are not disclosed); actions need
the engineer or admin role and the session's CSRF token (403 without). Every action,
and every login attempt, is written to the audit log of the site it concerns.
"""

# (no `from __future__ import annotations`: FastAPI reads route annotations at runtime)

import csv
import io
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from agent.reports.i18n import LANGUAGES, Translator, catalogue
from agent.serve.console import device, directory, findings, reports, silences, topology, views
from agent.serve.console.accounts import Accounts, Session, User
from agent.serve.console.security import (LOGIN_CSRF_COOKIE, SESSION_COOKIE, BadForm, harden, local_path,
                                          new_token, read_form, same, set_cookie)
from agent.serve.console.throttle import Throttle
from agent.textsafe import spreadsheet_cell
from collectors.base import State

log = logging.getLogger(__name__)
LANG_COOKIE = "patrol_lang"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".svg": "image/svg+xml"}
KINDS = ("network_device", "printer", "host")


@dataclass
class ConsoleDeps:
    """What the console reads and acts through; built by agent/serve/server.py."""

    accounts: Accounts
    throttle: Throttle
    sites: Mapping[str, Any]  # name -> SiteView (its inventory)
    default_site: str
    store_for: Callable[[str], Any]
    ticket_service: Callable[[str], Any]
    registry: Any  # agent.serve.registry.AgentRegistry
    clock: Callable[[], datetime]
    version: str
    ctx: Any = None  # agent.context.AppContext: the reports archive and `patrol report` (None: no reports)
    zone: str = "UTC"  # IANA zone of the times shown and typed in (reports.timezone)
    directory: Any = None  # config.console.ActiveDirectorySignIn: AD sign-in (None: local users only)


class NotFound(HTTPException):
    def __init__(self) -> None:
        super().__init__(404, "not found")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("agent.serve.console", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.globals["State"] = State
    return env


def language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    accept = request.headers.get("accept-language", "").lower()
    return "zh-CN" if accept.startswith("zh") else "en"


def console_router(deps: ConsoleDeps) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    env = environment()

    def session_of(request: Request) -> Session | None:
        return deps.accounts.session(request.cookies.get(SESSION_COOKIE))

    def render(request: Request, name: str, session: Session | None, status: int = 200, **values: Any) -> Response:
        lang = language(request)
        template = env.get_template(name)
        context = {"t": Translator(lang, deps.zone), "lang": lang, "user": session.user if session else None,
                   "csrf": session.csrf if session else "", "now": deps.clock(), "path": request.url.path,
                   "live_url": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                   "version": deps.version, **values}
        if request.headers.get("x-console-fragment") == "live" and "live" in template.blocks:
            body = "".join(template.blocks["live"](template.new_context(context)))
        else:
            body = template.render(context)
        response = harden(HTMLResponse(body, status_code=status))
        if request.query_params.get("lang") in LANGUAGES:
            set_cookie(response, request, LANG_COOKIE, lang, 365 * 86400)
        return response

    def require(request: Request) -> Session:
        session = session_of(request)
        if session is None:
            target = local_path(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            raise HTTPException(303, headers={"Location": f"/login?next={_quote(target)}"})
        return session

    def visible_sites(user: User) -> list[str]:
        return [s for s in sorted(deps.sites) if user.sees(s)]

    def site_for(user: User, site: str) -> str:
        if site not in deps.sites or not user.sees(site):
            raise NotFound()
        return site

    async def action_form(request: Request, session: Session, role: str) -> Mapping[str, str]:
        try:
            form = await read_form(request)
        except BadForm as exc:  # no readable form, so no CSRF token either
            raise HTTPException(403, f"{exc}; no CSRF token") from None
        if not same(form.get("csrf"), session.csrf):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
        if not session.user.can(role):  # type: ignore[arg-type]
            raise HTTPException(403, f"this needs the {role} role")
        return form

    def audit(site: str, user: str, action: str, subject: str, detail: Mapping[str, Any]) -> None:
        try:
            deps.store_for(site).audit(action, subject, detail, actor=user)
        except Exception as exc:  # noqa: BLE001 - the action is done; losing its entry is logged loudly
            log.error("could not write the audit entry %s %s: %s", action, subject, exc)

    def directory_sign_in(typed: str, password: str) -> tuple[User | None, str | None]:
        """(the user, None) or (None, why not) from the site's AD."""
        answer = directory.sign_in(deps.directory, typed, password, deps.clock)
        if not answer.ok:
            return None, answer.reason
        granted = directory.grant(answer.groups, deps.directory.groups)
        if granted is None:
            return None, f"{answer.account} is in none of the groups of serve.console.active_directory"
        name = f"{answer.account.lower()}@{deps.directory.realm}"
        return deps.accounts.directory_user(name, granted.role, granted.site), None

    # --- login ---------------------------------------------------------------------------

    @router.get("/login")
    def login_page(request: Request) -> Response:
        token = new_token()
        response = render(request, "login.html", None, next=local_path(request.query_params.get("next")),
                          login_csrf=token, error=None)
        set_cookie(response, request, LOGIN_CSRF_COOKIE, token, 3600)
        return response

    @router.post("/login")
    async def login(request: Request) -> Response:
        try:
            form = await read_form(request)
        except BadForm as exc:  # no readable form, so no CSRF token either
            raise HTTPException(403, f"{exc}; no CSRF token") from None
        if not same(form.get("csrf"), request.cookies.get(LOGIN_CSRF_COOKIE)):
            raise HTTPException(403, "missing or wrong CSRF token: reload the login page")
        username = form.get("username", "").strip()[:128]
        address = request.client.host if request.client else "?"
        wait = deps.throttle.wait_s(username, address)
        if wait > 0:
            audit(deps.default_site, username or "?", "console.login.throttled", username,
                  {"from": address, "wait_s": round(wait)})
            response = render(request, "login.html", None, status=429, next=local_path(form.get("next")),
                              login_csrf=form.get("csrf", ""), error=("console.login.throttled", round(wait)))
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        user = await run_in_threadpool(deps.accounts.verify, username, form.get("password", ""))
        via, refused = "local", None
        if user is None and deps.directory is not None and not deps.accounts.is_local(username):
            via = "active_directory"
            user, refused = await run_in_threadpool(directory_sign_in, username, form.get("password", ""))
        if user is None:
            deps.throttle.failed(username, address)
            detail = {"from": address} | ({"directory": refused} if refused else {})
            audit(deps.default_site, username or "?", "console.login.failed", username, detail)
            return render(request, "login.html", None, status=401, next=local_path(form.get("next")),
                          login_csrf=form.get("csrf", ""), error=("console.login.wrong", 0))
        deps.throttle.succeeded(username)
        token, session = deps.accounts.open_session(user, address)
        audit(user.site or deps.default_site, user.username, "console.login", user.username,
              {"from": address, "role": user.role, "via": via})
        response = RedirectResponse(local_path(form.get("next")), status_code=303)
        set_cookie(response, request, SESSION_COOKIE, token, None)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return harden(response)

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        session = require(request)
        await action_form(request, session, "viewer")
        deps.accounts.close_session(request.cookies.get(SESSION_COOKIE))
        audit(session.user.site or deps.default_site, session.user.username, "console.logout",
              session.user.username, {})
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return harden(response)

    def last_report(site: str) -> datetime | None:
        if deps.ctx is None:
            return None
        found = reports.list_reports(deps.ctx, site)
        return found[0].written_at if found else None

    # --- pages ---------------------------------------------------------------------------

    @router.get("/")
    def overview(request: Request) -> Response:
        session = require(request)
        now = deps.clock()
        summaries = [views.site_summary(name, deps.store_for(name), deps.sites[name].inventory, now,
                                        last_report(name)) for name in visible_sites(session.user)]
        return render(request, "overview.html", session, sites=summaries)

    @router.get("/site/{site}")
    def site_page(request: Request, site: str) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        store = deps.store_for(site)
        kind, state = request.query_params.get("kind") or None, request.query_params.get("state") or None
        group = request.query_params.get("group") or None
        inventory = deps.sites[site].inventory
        rows = views.devices(views.tallies(store), inventory)
        return render(request, "site.html", session, site=site, kinds=KINDS, kind=kind, state=state, group=group,
                      groups=views.groups_of(inventory), devices=views.filter_devices(rows, kind, state, group),
                      total=len(rows),
                      tickets=views.site_tickets(store, deps.clock()))

    @router.get("/site/{site}/device/{target}")
    def device_page(request: Request, site: str, target: str) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        store = deps.store_for(site)
        latest = store.latest(target=target)
        known = {t.name for t in deps.sites[site].inventory.targets}
        if not latest and target not in known:
            raise NotFound()
        now = deps.clock()
        current = [r.result for r in latest]
        results = sorted((r for r in current if r.check != device.PORT_CHECK),
                         key=lambda r: (views.STATE_ORDER[r.state], r.check, r.item))
        day = views.results_of(store, target, now - timedelta(hours=24), now + timedelta(minutes=1),
                               leave_out=(device.PORT_CHECK,))
        changes = views.results_of(store, target, now - timedelta(days=30), now + timedelta(minutes=1),
                                   only=(device.CHANGE_CHECK,))
        return render(request, "device.html", session, site=site, target=target, results=results,
                      ports=device.ports(current), sensors=device.sensors(current),
                      sparks=device.sparklines(day), changes=device.config_changes(changes),
                      spark_size=(device.SPARK_W, device.SPARK_H), history=day[::-1][:200],
                      tickets=views.site_tickets(store, now, target))

    @router.get("/site/{site}/tickets")
    def tickets_page(request: Request, site: str) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        return render(request, "tickets.html", session, site=site,
                      tickets=views.site_tickets(deps.store_for(site), deps.clock()),
                      ticketing=deps.ticket_service(site) is not None, message=request.query_params.get("done"))

    @router.post("/site/{site}/tickets/{ticket_id}/{action}")
    async def ticket_action(request: Request, site: str, ticket_id: int, action: str) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        if action not in ("acknowledge", "comment"):
            raise NotFound()
        form = await action_form(request, session, "engineer")
        service = deps.ticket_service(site)
        if service is None:
            raise HTTPException(409, "ticketing is off on this collector (ticketing.enabled)")
        text = form.get("text", "").strip()[:4000]
        if action == "comment" and not text:
            raise HTTPException(400, "an empty comment")
        actor = f"console:{session.user.username}"
        try:
            if action == "acknowledge":
                ticket = await run_in_threadpool(service.acknowledge, str(ticket_id), actor, text)
            else:
                ticket = await run_in_threadpool(service.comment, str(ticket_id), actor, text)
        except LookupError:
            raise NotFound() from None
        audit(site, session.user.username, f"console.ticket.{action}", f"{ticket.target}/{ticket.check}",
              {"ticket": ticket_id, "key": ticket.key, "text": text})
        back = "findings" if form.get("back") == "findings" else "tickets"  # the page the form was on
        return harden(RedirectResponse(f"/site/{_quote(site)}/{back}?done={action}", status_code=303))

    def render_findings(request: Request, session: Session, site: str, error: str | None, status: int,
                        form: Mapping[str, str] | None = None) -> Response:
        now = deps.clock()
        store = deps.store_for(site)
        holds = silences.active(store.engine, site, now, ticketing_settings())
        rows = findings.current(store, holds, [r.ticket for r in views.site_tickets(store, now)], now)
        local = now.astimezone(ZoneInfo(deps.zone)).replace(second=0, microsecond=0, tzinfo=None)
        return render(request, "findings.html", session, status=status, site=site, findings=rows, error=error,
                      message=request.query_params.get("done") if error is None else None, zone=deps.zone,
                      ticketing=deps.ticket_service(site) is not None,
                      until_default=_local_input(local + timedelta(hours=4)), sent=form if form is not None else {})

    @router.get("/site/{site}/findings")
    def findings_page(request: Request, site: str) -> Response:
        session = require(request)
        return render_findings(request, session, site_for(session.user, site), None, 200)

    @router.post("/site/{site}/findings/silence")
    async def finding_silence(request: Request, site: str) -> Response:
        """The silences page's silence, for exactly one finding (its names escaped as globs)."""
        session = require(request)
        site = site_for(session.user, site)
        form = await action_form(request, session, "engineer")
        target, check, item = findings.silence_fields(form.get("target", ""), form.get("check", ""),
                                                      form.get("item", ""))
        try:
            made = silences.add(deps.store_for(site).engine, site, target=target, check=check, item=item,
                                until=silences.parse_local(form.get("until", ""), deps.zone, "end"),
                                reason=form.get("reason", ""), by=f"console:{session.user.username}",
                                now=deps.clock())
        except ValueError as exc:
            return render_findings(request, session, site, str(exc), 400, form)
        audit(site, session.user.username, "silence.add", f"{made.target} {made.check} {made.item}",
              {"id": made.id, "until": made.until.isoformat(), "reason": made.reason, "page": "findings"})
        return harden(RedirectResponse(f"/site/{_quote(site)}/findings?done=silence_add", status_code=303))

    @router.get("/site/{site}/map")
    def map_page(request: Request, site: str) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        store = deps.store_for(site)
        rows = views.devices(views.tallies(store), deps.sites[site].inventory)
        from agent.topology.queries import links

        drawn = topology.build_map(links(store.engine, site), {d.name: d.state for d in rows},
                                   views.port_states(store, topology.PORT_CHECK),
                                   [d.name for d in rows if d.kind == "network_device"])
        return render(request, "map.html", session, site=site, map=drawn)

    def ticketing_settings() -> Any:
        return deps.ctx.settings.ticketing if deps.ctx is not None else None

    def render_silences(request: Request, session: Session, site: str, error: str | None, status: int,
                        form: Mapping[str, str] | None = None) -> Response:
        now = deps.clock()
        held, windows = silences.split(silences.active(deps.store_for(site).engine, site, now, ticketing_settings()))
        local = now.astimezone(ZoneInfo(deps.zone)).replace(second=0, microsecond=0, tzinfo=None)
        return render(request, "silences.html", session, status=status, site=site, error=error, silences=held,
                      message=request.query_params.get("done") if error is None else None,
                      windows=windows, zone=deps.zone, until_default=_local_input(local + timedelta(hours=4)),
                      start_default=_local_input(local + timedelta(days=1)),
                      end_default=_local_input(local + timedelta(days=1, hours=2)),
                      sent=form if form is not None else {})  # a refused form comes back as typed

    @router.get("/site/{site}/silences")
    def silences_page(request: Request, site: str) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        if not session.user.can("engineer"):
            raise NotFound()
        return render_silences(request, session, site, None, 200)

    @router.post("/site/{site}/silences")
    async def silence_add(request: Request, site: str) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        form = await action_form(request, session, "engineer")
        window = form.get("kind") == "window"
        try:
            start = silences.parse_local(form.get("start", ""), deps.zone, "start") if window else None
            made = silences.add(deps.store_for(site).engine, site, target=form.get("target", ""),
                                check=form.get("check", ""), item=form.get("item", ""), start=start,
                                until=silences.parse_local(form.get("until", ""), deps.zone, "end"),
                                reason=form.get("reason", ""), by=f"console:{session.user.username}",
                                now=deps.clock())
        except ValueError as exc:
            return render_silences(request, session, site, str(exc), 400, form)
        detail = {"id": made.id, "until": made.until.isoformat(), "reason": made.reason}
        if made.start is not None:
            detail["from"] = made.start.isoformat()
        audit(site, session.user.username, "maintenance.add" if window else "silence.add",
              f"{made.target} {made.check} {made.item}", detail)
        return harden(RedirectResponse(f"/site/{_quote(site)}/silences?done=add", status_code=303))

    @router.post("/site/{site}/silences/{silence_id}/end")
    async def silence_end(request: Request, site: str, silence_id: int) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        form = await action_form(request, session, "engineer")
        if not silences.end(deps.store_for(site).engine, site, silence_id, deps.clock()):
            raise NotFound()
        audit(site, session.user.username, "silence.remove", str(silence_id),
              {"id": silence_id, "reason": form.get("reason", "").strip()[:1000]})
        return harden(RedirectResponse(f"/site/{_quote(site)}/silences?done=end", status_code=303))

    @router.get("/site/{site}/reports")
    def reports_page(request: Request, site: str) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        found = reports.list_reports(deps.ctx, site) if deps.ctx is not None else []
        return render(request, "reports.html", session, site=site, reports=found, error=None,
                      message=request.query_params.get("done"))

    @router.get("/site/{site}/reports/{name}")
    def report_download(request: Request, site: str, name: str) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        path = reports.report_file(deps.ctx, site, name) if deps.ctx is not None else None
        if path is None:
            raise NotFound()
        audit(site, session.user.username, "console.report.download", name, {})
        # An attachment, never shown under the console's origin: a report is a document, not a page of ours.
        return harden(Response(path.read_bytes(), media_type=reports.MEDIA_TYPES[path.suffix],
                               headers={"Content-Disposition": f'attachment; filename="{_ascii(name)}"'}))

    @router.post("/site/{site}/reports")
    async def report_generate(request: Request, site: str) -> Response:
        session = require(request)
        site = site_for(session.user, site)
        form = await action_form(request, session, "engineer")
        if deps.ctx is None:
            raise HTTPException(409, "reports are not available on this collector")
        kind, period = form.get("kind", ""), form.get("period", "")
        try:
            files = await run_in_threadpool(reports.generate_now, deps.ctx, site, kind, period)
        except (ValueError, LookupError, RuntimeError) as exc:  # bad period, unknown site, render failure
            return render(request, "reports.html", session, status=400, site=site,
                          reports=reports.list_reports(deps.ctx, site), error=str(exc), message=None)
        audit(site, session.user.username, "console.report.generate", f"{kind} {period}",
              {"files": [p.name for p in files]})
        return harden(RedirectResponse(f"/site/{_quote(site)}/reports?done=generate", status_code=303))

    @router.get("/agents")
    def agents_page(request: Request) -> Response:
        session = require(request)
        sites = set(visible_sites(session.user))
        agents = [a for a in deps.registry.list() if a.site in sites]
        return render(request, "agents.html", session, agents=agents)

    @router.post("/agents/{agent_id}/revoke")
    async def revoke(request: Request, agent_id: str) -> Response:
        session = require(request)
        await action_form(request, session, "admin")
        known = {a.agent_id: a for a in deps.registry.list()}
        if agent_id not in known:
            raise NotFound()
        agent = await run_in_threadpool(deps.registry.revoke, agent_id)
        audit(agent.site, session.user.username, "agent.revoke", agent.target,
              {"agent_id": agent.agent_id, "site": agent.site})
        return harden(RedirectResponse("/agents", status_code=303))

    def audit_rows(user: User) -> list[Any]:
        if not user.can("admin"):
            raise NotFound()
        rows = [e for s in visible_sites(user) for e in deps.store_for(s).audit_entries(limit=2000)]
        return sorted(rows, key=lambda e: e.at, reverse=True)

    @router.get("/audit")
    def audit_page(request: Request) -> Response:
        session = require(request)
        return render(request, "audit.html", session, entries=audit_rows(session.user)[:500])

    @router.get("/audit.csv")
    def audit_csv(request: Request) -> Response:
        session = require(request)
        rows = audit_rows(session.user)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["at", "site", "actor", "action", "subject", "detail"])
        for e in rows:
            writer.writerow([e.at.isoformat(), *(spreadsheet_cell(v) for v in (e.site, e.actor, e.action, e.subject)),
                             spreadsheet_cell(_json(e.detail))])
        audit(session.user.site or deps.default_site, session.user.username, "console.audit.export", "audit",
              {"rows": len(rows)})
        return harden(Response(out.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                               headers={"Content-Disposition": 'attachment; filename="patrol-audit.csv"'}))

    @router.get("/static/{name}")
    def static(name: str) -> Response:
        suffix = name[name.rfind("."):] if "." in name else ""
        if "/" in name or "\\" in name or name.startswith(".") or suffix not in STATIC_TYPES:
            raise NotFound()
        path = resources.files("agent.serve.console").joinpath("static", name)
        if not path.is_file():
            raise NotFound()
        response = Response(path.read_bytes(), media_type=STATIC_TYPES[suffix])
        response.headers["Cache-Control"] = "max-age=3600"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    # Make sure every message the templates use exists in both catalogues at start, not at a
    # customer's first click (the test suite checks the same, in a browser too).
    for lang in LANGUAGES:
        catalogue(lang)
    return router


def _local_input(value: datetime) -> str:
    """A value for <input type="datetime-local">, to the minute."""
    return value.strftime("%Y-%m-%dT%H:%M")


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="/")


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
