"""`patrol serve` and `patrol agents ...`: the site collector and its enrolled agents."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from datetime import datetime, timedelta
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a duration such as 30m, 24h or 7d, got {text!r}")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the site collector: agents enrol and push here; devices, tickets, "
                                     "reports and /metrics for the whole site (docs/fleet.md)")
    p.add_argument("--no-devices", action="store_true",
                   help="do not poll network devices or run this machine's checks here (API, tickets and watch only)")

    p = sub.add_parser("agents", help="enrolment tokens and enrolled agents of this collector")
    asub = p.add_subparsers(dest="agents_command", metavar="ACTION", required=True)
    t = asub.add_parser("token", help="enrolment tokens")
    tsub = t.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    c = tsub.add_parser("create", help="print a new enrolment token (shown once)")
    c.add_argument("--site", default=None, help="the site its agents join (default: agent.site)")
    c.add_argument("--expires", type=duration, default=timedelta(hours=24), help="lifetime, e.g. 24h or 7d (default 24h)")
    c.add_argument("--uses", type=int, default=1, help="how many computers may enrol with it (default 1)")
    lst = asub.add_parser("list", help="every enrolled agent: site, target, last seen, version")
    lst.add_argument("--site", default=None, help="only this site")
    lst.add_argument("--json", action="store_true", help="print JSON instead of a table")
    for name, text in (("show", "one agent in full"), ("revoke", "refuse this agent's pushes from now on")):
        q = asub.add_parser(name, help=text)
        q.add_argument("agent", help="target name or agent id")
    r = asub.add_parser("rename", help="give an agent another target name; its history moves with it")
    r.add_argument("agent", help="target name or agent id")
    r.add_argument("new_name", help="the new target name")


def main(args: argparse.Namespace, ctx: Any, worker_argv: list[str] | None = None, version: str = "0+unknown") -> int:
    if args.command == "serve":
        from agent.serve.server import serve

        argv = None if args.no_devices else worker_argv
        try:
            return asyncio.run(serve(ctx, version, argv, log_level=args.log_level, log_format=args.log_format))
        except KeyboardInterrupt:
            return 130
    return agents_command(args, ctx)


def _registry(ctx: Any) -> Any:
    from agent.context import store_components
    from agent.serve.registry import AgentRegistry
    from agent.serve.schema import FLEET
    from agent.store import Store

    store = Store.open(ctx.settings.store_url, ctx.settings.agent.site, [*store_components(), FLEET])
    return AgentRegistry(store.engine, ctx.clock), store


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if value else "never"


def agents_command(args: argparse.Namespace, ctx: Any) -> int:
    from agent.serve.registry import UnknownAgent

    registry, store = _registry(ctx)
    out = Console(highlight=False, soft_wrap=True)
    try:
        action = args.agents_command
        if action == "token":
            site = args.site or ctx.settings.agent.site
            known = {ctx.settings.agent.site, *ctx.settings.serve.sites}
            if site not in known:
                print(f"patrol: no site {site!r} on this collector; sites are {sorted(known)} "
                      "(add one under serve.sites)", file=sys.stderr)
                return EXIT_USAGE
            if args.uses < 1:
                print("patrol: --uses must be at least 1", file=sys.stderr)
                return EXIT_USAGE
            info = registry.create_token(site, expires_in=args.expires, uses=args.uses, created_by="cli")
            store.audit("agent.token.create", site, {"expires_at": info.expires_at.isoformat(), "uses": info.uses},
                        actor="cli")
            print(info.token)
            print(f"site {site}, valid until {_when(info.expires_at)}, {info.uses} use(s); on each PC: "
                  f"patrol enroll https://<this host>:{ctx.settings.serve.listen.rpartition(':')[2]} --token <token> "
                  "--ca-fingerprint <printed by patrol serve>", file=sys.stderr)
            return EXIT_OK
        if action == "list":
            agents = registry.list(args.site)
            if args.json:
                print(json.dumps([_agent_json(a) for a in agents], indent=2, ensure_ascii=False))
                return EXIT_OK
            table = Table(title=f"{len(agents)} enrolled agent(s)")
            for column in ("site", "target", "last seen", "version", "os", "state", "agent id"):
                table.add_column(column)
            for a in agents:
                table.add_row(escape(a.site), escape(a.target), _when(a.last_seen), escape(a.version or "?"),
                              escape(a.os or "?"), "revoked" if a.revoked else "active", a.agent_id[:12])
            out.print(table)
            return EXIT_OK
        if action == "show":
            print(json.dumps(_agent_json(registry.get(args.agent)), indent=2, ensure_ascii=False))
            return EXIT_OK
        if action == "revoke":
            agent = registry.revoke(args.agent)
            store.audit("agent.revoke", agent.target, {"agent_id": agent.agent_id, "site": agent.site}, actor="cli")
            print(f"revoked {agent.site}/{agent.target} ({agent.agent_id[:12]}): its pushes get 403 from now on")
            return EXIT_OK
        if action == "rename":
            try:
                agent, old = registry.rename(args.agent, args.new_name)
            except ValueError as exc:
                print(f"patrol: {exc}", file=sys.stderr)
                return EXIT_USAGE
            moved = move_history(store, agent.site, old, agent.target)
            store.audit("agent.rename", agent.target, {"from": old, "agent_id": agent.agent_id, "rows": moved},
                        actor="cli")
            print(f"renamed {agent.site}/{old} to {agent.target}; {moved} stored rows moved with it")
            return EXIT_OK
    except UnknownAgent as exc:
        print(f"patrol: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()
    raise AssertionError(f"unhandled agents action {args.agents_command}")


def move_history(store: Any, site: str, old: str, new: str) -> int:
    """Results, runs and latest states of ``old`` now belong to ``new`` (a renamed PC keeps its history).
    Open findings and tickets stay under the old name and close as stale: their fingerprints are
    what the ticket system knows them by."""
    from agent.store import core

    moved = 0
    with store.engine.begin() as conn:
        for table in (core.runs, core.results, core.latest):
            moved += conn.execute(table.update().where(table.c.site == site, table.c.target == old)
                                  .values(target=new)).rowcount
    return moved


def _agent_json(agent: Any) -> dict[str, Any]:
    return {"agent_id": agent.agent_id, "site": agent.site, "target": agent.target, "hostname": agent.hostname,
            "name_pinned": agent.name_pinned, "machine_id": agent.machine_id, "smbios_uuid": agent.smbios_uuid,
            "os": agent.os, "version": agent.version, "address": agent.address,
            "enrolled_at": agent.enrolled_at.isoformat(),
            "last_seen": agent.last_seen.isoformat() if agent.last_seen else None, "last_seq": agent.last_seq,
            "interval_s": agent.interval_s, "clock_offset_s": agent.clock_offset_s,
            "dropped_total": agent.dropped_total, "results_total": agent.results_total,
            "revoked_at": agent.revoked_at.isoformat() if agent.revoked_at else None}
