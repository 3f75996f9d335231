"""The one-shot commands: inspect, check, inventory show, collectors."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from agent.context import AppContext
from agent.cycle import CycleOutcome, run_cycle, ticketing_service
from agent.inspection import inspection_json, render_table, write_inspection
from agent.runner import Runner, plan
from agent.textsafe import markup_escape, path_slug, terminal_text
from collectors.base import CheckRun, State

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
_FAIL_STATES = {"warn": {State.WARN, State.CRIT, State.UNKNOWN}, "crit": {State.CRIT, State.UNKNOWN}}


# --wide: as wide as the longest row needs (rich measures the table within this width).
WIDE_COLUMNS = 4000


def _console(stderr: bool = False, wide: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, width=WIDE_COLUMNS if wide else None)


def _families(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


async def _run_with_progress(ctx: AppContext, jobs: list, *, tickets: Any, show_progress: bool) -> CycleOutcome:
    runner = Runner(ctx.collector_io(), concurrency=ctx.settings.runner.concurrency)
    try:
        if not show_progress:
            return await run_cycle(ctx, runner, jobs, tickets=tickets)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=_console(stderr=True), transient=True) as progress:
            task = progress.add_task("inspecting", total=len(jobs))

            def advance(run: CheckRun) -> None:
                progress.update(task, advance=1, description=f"{run.collector} on {run.target}")

            return await run_cycle(ctx, runner, jobs, tickets=tickets, on_run=advance)
    finally:
        runner.close()


def inspect_command(ctx: AppContext, args: argparse.Namespace) -> int:
    ctx.registry  # loads plugins now: a broken one is logged before the progress bar starts
    families = _families(args.only)
    if families:
        unknown = [f for f in families if f not in ctx.registry.collectors]
        if unknown:
            from config.loader import did_you_mean

            print(f"patrol: --only: unknown check family '{unknown[0]}'{did_you_mean(unknown[0], ctx.registry.collectors)}",
                  file=sys.stderr)
            return EXIT_USAGE
    jobs = plan(ctx.registry, ctx.settings, ctx.inventory, only=families, target=args.target)
    if not jobs:
        print(f"patrol: {nothing_to_inspect(ctx.inventory, args.target)}", file=sys.stderr)
        return EXIT_USAGE
    started = ctx.clock()
    # The folder is made (and proven writable) before minutes of checks, not after them.
    folder = args.out or (ctx.settings.reports_dir / "inspections"
                          / f"{path_slug(ctx.settings.agent.site)}-{started:%Y%m%dT%H%M%SZ}")
    problem = writable_folder(folder)
    if problem:
        print(f"patrol: {'--out' if args.out else 'paths.reports_dir'}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    tickets = None if args.no_tickets or _agent_mode(ctx) else ticketing_service(ctx)
    outcome = asyncio.run(_run_with_progress(ctx, jobs, tickets=tickets,
                                             show_progress=not args.json and sys.stderr.isatty()))
    finished = ctx.clock()
    ticket_line = _ticket_line(outcome)
    data = inspection_json(ctx.settings.agent.site, ctx.settings.agent.name, started, finished, outcome.runs, ticket_line)
    json_path, md_path = write_inspection(folder, data)
    ctx.store.audit("inspect", ctx.settings.agent.site, {"jobs": len(jobs), "counts": data["counts"],
                                                          "folder": str(folder)})
    if args.json:
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        console = _console(wide=args.wide)
        render_table(console, outcome.runs, f"Patrol inspection: {ctx.settings.agent.name} (site {ctx.settings.agent.site})")
        if ticket_line:
            console.print("tickets: ", terminal_text(ticket_line), sep="")
        # soft_wrap: a path is never broken by an inserted newline (it stays copyable)
        console.print("written:", terminal_text(str(json_path)), soft_wrap=True)
        console.print("        ", terminal_text(str(md_path)), soft_wrap=True)
    return _exit_for(outcome.runs, args.fail_on)


def _agent_mode(ctx: AppContext) -> bool:
    """Enrolled with a collector: it decides tickets for the site, this computer does not."""
    from agent.run.push import fleet_mode

    return fleet_mode(ctx.settings)


def nothing_to_inspect(inventory: Any, target: str | None) -> str:
    """Why a `patrol inspect [--target X]` has no job, in the words an engineer acts on."""
    if target is None:
        return "nothing to inspect (no enabled check family has a target)"
    shown = "".join(ch if ch.isprintable() else "?" for ch in target)[:128]
    names = [t.name for t in inventory.targets]
    if target not in names:
        import difflib

        close = difflib.get_close_matches(target, names, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else (
            f"; the inventory has {', '.join(names[:8])}{', ...' if len(names) > 8 else ''}" if names else "")
        return f"no target named {shown}{hint}"
    found = inventory.get(target)
    if getattr(found, "kind", None) == "host" and not getattr(found, "local", False):
        return (f"{shown} is a host of the inventory; its checks run on its own agent: enrol it with `patrol enroll` "
                "(docs/fleet.md)")
    return f"nothing to inspect on {shown} (no enabled check family covers it here; see `patrol collectors`)"


def _unknown_target(ctx: AppContext, target: str | None) -> bool:
    """True (and says so, with the closest name) when --target names no inventory target."""
    names = [t.name for t in ctx.inventory.targets]
    if target is None or target in names:
        return False
    from config.loader import did_you_mean

    print(f"patrol: --target: no inventory target named '{target}'{did_you_mean(target, names)}", file=sys.stderr)
    return True


def writable_folder(folder) -> str | None:
    """None if ``folder`` exists (or was created) and a file can be written in it; else why not."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".patrol-probe-"):
            pass
    except OSError as exc:
        return f"cannot write to {folder}: {exc.strerror or exc}"
    return None


def _ticket_line(outcome: CycleOutcome) -> str | None:
    if outcome.ticket_error:
        return f"ticketing failed: {outcome.ticket_error}"
    if outcome.tickets is None:
        return None
    describe = getattr(outcome.tickets, "describe", None)
    line = describe() if callable(describe) else str(outcome.tickets)
    return line.removeprefix("tickets: ")


def _exit_for(runs: tuple[CheckRun, ...], fail_on: str | None) -> int:
    if fail_on is None:
        return EXIT_OK
    bad = _FAIL_STATES[fail_on]
    return EXIT_FAIL if any(r.state in bad for run in runs for r in run.results) else EXIT_OK


def check_command(ctx: AppContext, args: argparse.Namespace) -> int:
    try:
        collector = ctx.registry.get(args.name)
    except KeyError as exc:
        print(f"patrol: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    if _unknown_target(ctx, args.target):
        return EXIT_USAGE
    jobs = plan(ctx.registry, ctx.settings, ctx.inventory, only=[collector.name], target=args.target,
                include_disabled=True)
    if not jobs:
        where = f" named {args.target}" if args.target else ""
        print(f"patrol: {args.name} has no target{where} (is it configured? see `patrol config example`)", file=sys.stderr)
        return EXIT_USAGE
    runner = Runner(ctx.collector_io(), concurrency=ctx.settings.runner.concurrency)
    try:
        outcome = asyncio.run(run_cycle(ctx, runner, jobs))
    finally:
        runner.close()
    if args.json:
        from agent.inspection import result_json

        out = [{"collector": r.collector, "target": r.target, "duration_s": round(r.duration_s, 4), "error": r.error,
                "results": [result_json(x) for x in r.results]} for r in outcome.runs]
        json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        console = _console(wide=args.wide)
        render_table(console, outcome.runs, f"patrol check {args.name}")
        for run in outcome.runs:
            console.print(terminal_text(f"{run.collector} on {run.target}: {run.duration_s * 1000:.0f} ms"
                                        + (f" (failed: {run.error})" if run.error else "")))
    return EXIT_OK


def inventory_show(ctx: AppContext, args: argparse.Namespace) -> int:
    from inventory.loader import load_inventory

    inventory = load_inventory(args.file, local_name=ctx.settings.agent.name) if args.file else ctx.inventory
    # Secret fields serialize as their references (env:NAME), never as values.
    data = inventory.model_dump(mode="json")
    if args.json:
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    from rich.table import Table

    site = inventory.site
    console = _console(wide=args.wide)
    console.print(f"site [bold]{markup_escape(site.name)}[/]" + (f" ({markup_escape(site.customer)})" if site.customer else ""))
    table = Table()
    for column in ("name", "kind", "address", "groups", "criticality", "depends on", "access"):
        table.add_column(column)  # wraps at word boundaries; a longer word ends in …
    for target in inventory.targets:
        access = []
        snmp = getattr(target, "snmp", None)
        if snmp is not None:
            access.append(f"snmp v{snmp.version} ({snmp.community or snmp.user})")
        cli = getattr(target, "cli", None)
        if cli is not None:
            access.append(f"ssh {cli.username} (password {cli.password})")
        kind = target.kind + (" (this computer)" if getattr(target, "local", False) else "")
        table.add_row(*(terminal_text(v) for v in (target.name, kind, target.address, ",".join(target.groups),
                                                   target.criticality, ",".join(target.depends_on), "; ".join(access))))
    console.print(table)
    return EXIT_OK


def collectors_command(ctx: AppContext) -> int:
    console = _console()
    for name, collector in ctx.registry.collectors.items():
        params = ctx.settings.checks.for_family(name)
        enabled = getattr(params, "enabled", True)
        # "enabled" alone misled: a family with no target in the inventory never runs.
        targets = [job.target.name for job in plan(ctx.registry, ctx.settings, ctx.inventory, only=[name],
                                                   include_disabled=True)]
        state = ("disabled" if not enabled else "enabled" if targets else "idle")
        shown = ", ".join(targets[:3]) + (f" and {len(targets) - 3} more" if len(targets) > 3 else "")
        console.print(terminal_text(f"{name:14} {state:8} {len(targets):>5} target{'s' if len(targets) != 1 else ' '}  "
                                    f"{shown or '(none in the inventory)'}"))
    for broken in ctx.registry.broken:
        console.print(f"{markup_escape(broken.name):14} [red]broken[/]   {markup_escape(broken.target)}: "
                      f"{markup_escape(broken.error)}")
    return EXIT_OK if not ctx.registry.broken else EXIT_FAIL


def store_command(ctx: AppContext, args: argparse.Namespace) -> int:
    from agent.store import integrity

    path = integrity.sqlite_file(ctx.settings.store_url)
    if path is None:
        print("patrol: `patrol store` backs up SQLite stores; back up PostgreSQL with pg_dump", file=sys.stderr)
        return EXIT_USAGE
    if args.store_command == "backup":
        integrity.backup(path, args.file)
        print(f"backed up {path} to {args.file}")
        return EXIT_OK
    kept = integrity.restore(args.file, path)
    print(f"restored {path} from {args.file}" + (f"; the replaced store is kept as {kept}" if kept else ""))
    return EXIT_OK


def validate_command(args: argparse.Namespace) -> int:
    """`patrol config validate`: the config, its inventory and (unless --offline) every
    secret reference, all checked before anything is called valid."""
    from config.checks_order import unreadable_secrets
    from config.loader import ConfigError, ConfigProblem, dotted, load_settings, read_yaml

    settings = load_settings(args.file)
    inventory_path = settings.resolve(settings.paths.inventory) if settings.paths.inventory else None
    inventory = None
    if inventory_path is not None:
        from inventory.loader import read_document, resolve

        inventory_doc = read_document(inventory_path)
        inventory = resolve(inventory_doc)
    if not args.offline:
        doc = read_yaml(args.file)
        problems = [ConfigProblem(str(args.file), doc.line_of(loc), dotted(loc), why)
                    for loc, why in unreadable_secrets(settings)]
        if inventory is not None:
            for section in ("hosts", "network_devices", "printers"):
                for index, target in enumerate(getattr(inventory, section)):
                    problems += [ConfigProblem(str(inventory_path), inventory_doc.line_of((section, index) + loc),
                                               dotted((section, index) + loc), why)
                                 for loc, why in unreadable_secrets(target)]
        if problems:
            raise ConfigError(problems)
    print(f"{args.file}: valid" + (" (secrets not resolved: --offline)" if args.offline else ""))
    if inventory is not None:
        print(f"{inventory_path}: valid, {len(inventory.targets)} targets")
    return EXIT_OK
