"""`patrol assets list | show | history | export`: the asset archive on the command line.

Device text (a model name, a program's publisher, a typed-in label) is printed through
rich ``Text`` objects (textsafe.terminal_text), never as markup, and without control
characters: ``[red]`` in a serial stays ``[red]`` and an escape sequence in a monitor's
EDID name cannot retitle the terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

from agent.textsafe import terminal_text

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class _View:
    site: str
    entries: list  # join.ArchiveEntry
    today: date


def main(args: argparse.Namespace, ctx: Any) -> int:
    from agent.assets.archive import ArchiveError
    from agent.assets.glpi.inventory import GlpiExportError

    command = args.assets_command
    try:
        if command == "list":
            return _list(args, ctx)
        if command == "show":
            return _show(args, ctx)
        if command == "history":
            return _history(args, ctx)
        if command == "export":
            return _export(args, ctx)
    except (LookupError, ArchiveError) as exc:
        print(f"patrol assets {command}: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, LookupError) else EXIT_ERROR
    except GlpiExportError as exc:
        print(f"patrol assets export: {exc}", file=sys.stderr)
        return EXIT_ERROR
    raise AssertionError(f"unhandled assets command {command}")


def _site(args: argparse.Namespace, ctx: Any) -> str:
    return args.site or ctx.store.site


def _today(ctx: Any) -> date:
    from zoneinfo import ZoneInfo

    return ctx.clock().astimezone(ZoneInfo(ctx.settings.reports.timezone)).date()


def _view(args: argparse.Namespace, ctx: Any, asset_id: str | None = None) -> _View:
    from agent.assets.archive import asset_ids, current
    from agent.assets.join import join

    site = _site(args, ctx)
    inventory = ctx.inventory
    entries = join(inventory if inventory.site.name == site else _no_inventory(), current(ctx.store.engine, site, asset_id))
    if asset_id is not None:
        entries = [e for e in entries if e.asset_id == asset_id]
        if not entries:
            from config.loader import did_you_mean

            known = [t.name for t in inventory.targets] if inventory.site.name == site else []
            known += asset_ids(ctx.store.engine, site)
            raise LookupError(f"no asset named {asset_id!r} in site {site!r}{did_you_mean(asset_id, known)}")
    return _View(site, entries, _today(ctx))


def _no_inventory() -> Any:
    from inventory.models import Inventory

    return Inventory()


def _console(args: argparse.Namespace) -> Any:
    from agent.commands import _console as console

    return console(wide=args.wide)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> Any:
    from rich.table import Table

    from agent.assets.tables import cell_text

    table = Table(*headers, title=title, title_justify="left")
    for row in rows:
        table.add_row(*(terminal_text(cell_text(cell)) for cell in row))
    return table


def _when(at: datetime | None) -> str:
    return f"{at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC" if at else "-"


# --- list ----------------------------------------------------------------------------------

def _list(args: argparse.Namespace, ctx: Any) -> int:
    from agent.assets.tables import WORDS, warranty_status

    view = _view(args, ctx)
    if args.json:
        print(json.dumps([_entry_json(e, view.today) for e in view.entries], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not view.entries:
        print(f"no assets in site {view.site!r}")
        return EXIT_OK
    rows = []
    for e in view.entries:
        warranty = e.warranty_end.isoformat() + " " if e.warranty_end else ""
        rows.append([e.asset_id, e.kind, e.typed.get("number"), " ".join(x for x in (e.value("maker"), e.value("model")) if x),
                     e.value("serial"), warranty + WORDS["en"][warranty_status(e.warranty_end, view.today)],
                     _when(e.last_seen) if e.current else "never captured",
                     ", ".join(c.field for c in e.conflicts) or ("not in inventory" if not e.in_inventory else "")])
    _console(args).print(_table(["asset", "kind", "number", "maker / model", "serial", "warranty", "last captured",
                             "conflicts"], rows))
    return EXIT_OK


def _entry_json(entry: Any, today: date) -> dict[str, Any]:
    from agent.assets.tables import warranty_status

    return {
        "asset": entry.asset_id, "kind": entry.kind, "address": entry.address, "in_inventory": entry.in_inventory,
        "typed": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in entry.typed.items()},
        "captured": entry.captured,
        "conflicts": [{"field": c.field, "typed": c.typed, "captured": c.captured} for c in entry.conflicts],
        "warranty": warranty_status(entry.warranty_end, today),
        "first_seen": entry.current.first_seen.isoformat() if entry.current else None,
        "changed_at": entry.current.changed_at.isoformat() if entry.current else None,
        "last_seen": entry.current.last_seen.isoformat() if entry.current else None,
        "content_hash": entry.current.hash if entry.current else None,
    }


# --- show ----------------------------------------------------------------------------------

def _show(args: argparse.Namespace, ctx: Any) -> int:
    from agent.assets.model import to_json
    from agent.assets.tables import TABLES

    view = _view(args, ctx, args.asset)
    (entry,) = view.entries
    if args.json:
        doc = _entry_json(entry, view.today)
        doc["snapshot"] = to_json(entry.snapshot) if entry.snapshot is not None else None
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return EXIT_OK
    console = _console(args)
    typed = [[field, entry.typed.get(field), entry.captured.get(field)] for field in
             ("number", "label", "user", "location", "supplier", "purchase_date", "warranty_end", "maker", "model",
              "serial", "notes")]
    console.print(_table(["field", "typed in (kept)", "captured"], typed, title=f"asset {entry.asset_id}"))
    for c in entry.conflicts:
        console.print(terminal_text(f"conflict: {c.field} typed {c.typed!r}, captured {c.captured!r} "
                                    "(the typed-in value is kept)"))
    snapshot = entry.snapshot
    if snapshot is None:
        console.print("never captured: no agent has sent this asset's hardware, and no SNMP poll captured it")
        return EXIT_OK
    cur = entry.current
    console.print(terminal_text(f"captured {_when(cur.last_seen)} (this content since {_when(cur.changed_at)}, "
                                f"first {_when(cur.first_seen)}) by {snapshot.source}"))
    ident = snapshot.identity
    console.print(_table(["identity", "value"], [[k, v] for k, v in (
        ("maker", ident.maker), ("model", ident.model), ("serial", ident.serial), ("uuid", ident.uuid),
        ("board", " ".join(x for x in (ident.board_maker, ident.board_model, ident.board_serial) if x)),
        ("bios / firmware", " ".join(str(x) for x in (ident.bios_vendor, ident.bios_version, ident.bios_date) if x)),
        ("os", " ".join(x for x in (snapshot.os.name, snapshot.os.edition, snapshot.os.version, snapshot.os.build)
                        if x) if snapshot.os else None),
        ("version (sysDescr)", snapshot.network.version if snapshot.network else None)) if v]))
    one = _View(view.site, [entry], view.today)
    for table in TABLES:
        if table.id in ("devices", "changes", "conflicts") or (table.id == "software" and not args.software):
            continue
        rows = [row[1:] for row in table.rows(one.entries, {}, view.today)]
        if rows:
            console.print(_table(table.headers("en")[1:], rows, title=table.en))
    if snapshot.software and not args.software:
        console.print(f"{len(snapshot.software)} programs installed (--software lists them)")
    for gap in snapshot.gaps:
        console.print(terminal_text(f"not captured: {gap.part}: {gap.reason}"))
    return EXIT_OK


# --- history -------------------------------------------------------------------------------

def _day(text: str | None, flag: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time.min, timezone.utc)
    except ValueError:
        raise LookupError(f"{flag}: {text!r} is not a day (YYYY-MM-DD)") from None


def _history(args: argparse.Namespace, ctx: Any) -> int:
    from agent.assets.archive import history, versions
    from agent.assets.findings import describe

    view = _view(args, ctx, args.asset)
    since = _day(args.since, "--since")
    changes = history(ctx.store.engine, view.site, args.asset, since=since)
    if args.json:
        print(json.dumps({"asset": args.asset,
                          "versions": [{"at": v.at.isoformat(), "hash": v.hash}
                                       for v in versions(ctx.store.engine, view.site, args.asset)],
                          "changes": [{"at": c.at.isoformat(), "category": c.category, "action": c.action,
                                       "path": c.path, "before": c.before, "after": c.after} for c in changes]},
                         indent=2, ensure_ascii=False))
        return EXIT_OK
    found = versions(ctx.store.engine, view.site, args.asset)
    if not found:
        print(f"{args.asset}: never captured")
        return EXIT_OK
    console = _console(args)
    console.print(terminal_text(f"{args.asset}: first captured {_when(found[0].at)}, "
                                f"{len(found)} content version(s), {len(changes)} change(s)"
                                + (f" since {args.since}" if since else "")))
    if changes:
        console.print(_table(["time", "category", "change"], [[_when(c.at), c.category, describe(c)] for c in changes]))
    return EXIT_OK


# --- export --------------------------------------------------------------------------------

def _export(args: argparse.Namespace, ctx: Any) -> int:
    from agent.assets.archive import changes_between

    view = _view(args, ctx)
    engine = ctx.store.engine
    if args.format == "glpi":
        for path in _export_glpi(view, engine, args.out, ctx.clock()):
            print(path)
        return EXIT_OK
    from agent.assets.export import write_csv, write_xlsx

    lang = args.lang or ctx.settings.reports.languages[0]
    changes = changes_between(engine, view.site, _day(args.since, "--since"), None)
    if args.format == "csv":
        files = write_csv(args.out, view.entries, changes, view.today, lang)
    else:
        files = [write_xlsx(args.out, view.entries, changes, view.today, lang)]
    for path in files:
        print(path)
    return EXIT_OK


def _export_glpi(view: _View, engine: Any, folder: Path, now: datetime) -> list[Path]:
    from agent.assets.archive import counter_readings
    from agent.assets.glpi.inventory import document
    from agent.cli import version
    from agent.textsafe import path_slug

    # Every document is built (and validated) before the first file is written: a refused
    # asset leaves no half-written export behind.
    docs = []
    for e in view.entries:
        counters = counter_readings(engine, view.site, e.asset_id) if e.snapshot and e.snapshot.kind == "printer" else ()
        docs.append((e.asset_id, document(e, version=version(), now=now, counters=counters)))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    used: set[str] = set()
    for asset_id, doc in docs:
        name = path_slug(asset_id, "asset")
        while name in used:  # two ids that slug alike ("pc/1", "pc 1")
            name += "_"
        used.add(name)
        path = folder / f"{name}.json"
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
