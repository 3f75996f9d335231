"""The `patrol` command.

Exit codes: 0 success; 1 `--fail-on` threshold reached (or a command's own failure);
2 bad usage, config or inventory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = Path("/etc/patrol/patrol.yaml")
EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version as pkg_version

    try:
        return pkg_version("patrol")
    except PackageNotFoundError:
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="patrol", description="Inspection agent for IT managed-service teams.")
    parser.add_argument("-c", "--config", type=Path, default=None,
                        help="config file (default: $PATROL_CONFIG, then /etc/patrol/patrol.yaml if present, "
                             "else the embedded defaults)")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], default=None,
                        help="log detail (default: log.level of the config, INFO)")
    parser.add_argument("--log-format", choices=["text", "json"], default=None, help="json: one object per line")
    parser.add_argument("--version", action="version", version=f"patrol {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("inspect", help="run every enabled check once and write an inspection summary")
    p.add_argument("--only", default=None, help="comma-separated check families (default: all enabled)")
    p.add_argument("--target", default=None, help="only this inventory target")
    _output_options(p, "print results as JSON instead of a table")
    p.add_argument("--fail-on", choices=["warn", "crit"], default=None,
                   help="exit 1 when any result is at least this bad (UNKNOWN counts as crit)")
    p.add_argument("--out", type=Path, default=None, help="folder for results.json and summary.md "
                                                          "(default: <reports_dir>/inspections/<site>-<time>)")
    p.add_argument("--no-tickets", action="store_true", help="do not drive the ticket engine for this run")

    p = sub.add_parser("check", help="run one check family and show its results and timing")
    p.add_argument("name", help="check family, e.g. system, antivirus, switch")
    p.add_argument("--target", default=None, help="only this inventory target")
    _output_options(p, "print results, timing and errors as JSON instead of a table")

    sub.add_parser("run", help="run the scheduled checks, /metrics and tickets until stopped (SIGTERM/SIGINT)")

    p = sub.add_parser("config", help="validate or generate configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    v = csub.add_parser("validate", help="check a config file; errors name the line and key")
    v.add_argument("file", type=Path, help="the config file; its inventory (paths.inventory) is checked too")
    v.add_argument("--offline", action="store_true",
                   help="do not resolve secret references (env:, file:); by default each one must be readable")
    csub.add_parser("example", help="print the example config generated from the schema")
    csub.add_parser("show", help="print the effective config (defaults filled in)")

    p = sub.add_parser("inventory", help="show the resolved inventory")
    isub = p.add_subparsers(dest="inventory_command", metavar="ACTION", required=True)
    s = isub.add_parser("show", help="targets with groups and defaults applied, secrets masked")
    s.add_argument("file", type=Path, nargs="?", default=None, help="inventory file (default: paths.inventory)")
    _output_options(s, "print the resolved inventory as JSON")

    sub.add_parser("collectors", help="list the check families found (built-in and plugins) and their targets")

    p = sub.add_parser("store", help="back up or restore the SQLite store (results, audit, tickets)")
    ssub = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    b = ssub.add_parser("backup", help="copy the store consistently, also while `patrol run` writes to it")
    b.add_argument("file", type=Path, help="the backup file to write (an existing file is never overwritten)")
    r = ssub.add_parser("restore", help="replace the store with a checked backup (stop `patrol run` first); "
                                        "the replaced store is kept as <store>.replaced-N")
    r.add_argument("file", type=Path, help="a file written by `patrol store backup`")

    for module in ("agent.ticketing.cli_args", "agent.notify.cli_args", "agent.reports.cli", "agent.run.enroll",
                   "agent.serve.cli", "agent.serve.console.cli", "agent.assets.cli_args"):
        _add_optional_parser(module, sub)
    return parser


def _output_options(p: argparse.ArgumentParser, json_help: str) -> None:
    p.add_argument("--json", action="store_true", help=json_help)
    p.add_argument("--wide", action="store_true", help="print table cells in full on one line (default: fit the "
                                                       "terminal, 80 columns when piped: wrap words, shorten with …)")


def _add_optional_parser(module_name: str, sub: Any) -> None:
    """Add a subcommand whose module may be absent from a slim build; a module that is
    present but broken raises, rather than silently losing the command."""
    import importlib
    import importlib.util

    if importlib.util.find_spec(module_name) is None:
        return
    importlib.import_module(module_name).add_parser(sub)


def config_path(args: argparse.Namespace) -> Path | None:
    if args.config is not None:
        return args.config
    if os.environ.get("PATROL_CONFIG"):
        return Path(os.environ["PATROL_CONFIG"])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


# Files Patrol creates (store, log, reports, backups: they hold ticket bodies and
# results) are readable by their owner only; docs/running.md says so.
PRIVATE_UMASK = 0o077


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous_umask = os.umask(PRIVATE_UMASK)
    try:
        if args.command == "run":
            # Before anything imports the config schema: `patrol run` stays a small process.
            return run_command(args)
        return _guarded(args)
    except BrokenPipeError:
        # `patrol tickets list --json | head`: the reader has gone; say nothing more.
        _silence_stdout()
        return EXIT_FAIL
    finally:
        os.umask(previous_umask)


def _guarded(args: argparse.Namespace) -> int:
    """dispatch() with every expected failure as one line on stderr, never a traceback."""
    from agent.store.integrity import StoreUnusable
    from config.loader import ConfigError

    try:
        return dispatch(args)
    except ConfigError as exc:
        print(f"patrol: configuration error\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreUnusable as exc:
        print(f"patrol: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        raise
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"patrol: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):  # a full disk, a locked or unreachable database
            print(f"patrol: the store cannot be written: {exc.orig}", file=sys.stderr)
            return EXIT_FAIL
        raise


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout replaced (tests): nothing left to flush
        pass
    finally:
        os.close(devnull)


def worker_argv(args: argparse.Namespace) -> list[str]:
    """How `patrol run` starts its workers: this interpreter, so a venv install works as is;
    -P so that an unrelated ``agent/`` folder in the working directory is never imported."""
    argv = [sys.executable, "-P", "-m", "agent.worker"]
    path = config_path(args)
    if path is not None:
        argv += ["--config", str(path.absolute())]
    if args.log_level:
        argv += ["--log-level", args.log_level]
    return argv


def run_command(args: argparse.Namespace) -> int:
    from agent.daemon import supervise
    from agent.logsetup import setup_logging

    setup_logging(args.log_level or "INFO", args.log_format or "text")
    try:
        return asyncio.run(supervise(worker_argv(args), log_level=args.log_level, log_format=args.log_format,
                                     version=version()))
    except KeyboardInterrupt:
        return 130


def dispatch(args: argparse.Namespace) -> int:
    from agent.context import AppContext
    from agent.logsetup import setup_logging
    from config.loader import load_settings

    if args.command == "config" and args.config_command == "example":
        from config.example import example_yaml

        sys.stdout.write(example_yaml())
        return EXIT_OK
    if args.command == "config" and args.config_command == "validate":
        from agent.commands import validate_command

        return validate_command(args)

    path = config_path(args)
    settings = load_settings(path)
    setup_logging(args.log_level or settings.log.level, args.log_format or settings.log.format.value)
    ctx = AppContext(settings, path)
    try:
        if args.command == "inspect":
            from agent.commands import inspect_command

            return inspect_command(ctx, args)
        if args.command == "check":
            from agent.commands import check_command

            return check_command(ctx, args)
        if args.command == "config" and args.config_command == "show":
            print(json.dumps(settings.model_dump(mode="json"), indent=2, ensure_ascii=False))
            return EXIT_OK
        if args.command == "inventory":
            from agent.commands import inventory_show

            return inventory_show(ctx, args)
        if args.command == "collectors":
            from agent.commands import collectors_command

            return collectors_command(ctx)
        if args.command == "store":
            from agent.commands import store_command

            return store_command(ctx, args)
        if args.command == "tickets":
            from agent.ticketing.cli import main as tickets_main

            return tickets_main(args, ctx)
        if args.command == "notify":
            from agent.notify.cli import main as notify_main

            return notify_main(args, ctx)
        if args.command == "report":
            from agent.reports.cli import main as report_main

            return report_main(args, ctx)
        if args.command == "enroll":
            from agent.run.enroll import main as enroll_main

            return enroll_main(args, ctx)
        if args.command in ("serve", "agents"):
            from agent.serve.cli import main as serve_main

            return serve_main(args, ctx, worker_argv(args), version())
        if args.command == "console":
            from agent.serve.console.cli import main as console_main

            return console_main(args, ctx)
        if args.command == "assets":
            from agent.assets.cli import main as assets_main

            return assets_main(args, ctx)
    finally:
        ctx.close()
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
