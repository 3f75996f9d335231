"""`patrol report ...`: inspection reports, fault analyses and the demo samples.

    patrol report inspection [--site S] [--period 2026-10] [--format html,pdf,md,json] [--lang zh-CN,en] [--out DIR]
    patrol report faults [--site S] [--quarter 2026Q3 | --period ...] [...same options]
    patrol report demo --out docs/samples      # seed a demo store and write the sample reports

Imports stay light: this module is imported for every `patrol` command to add its parser.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.context import AppContext

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("report", help="inspection reports (巡检报告) and fault analyses (故障分析)")
    rsub = p.add_subparsers(dest="report_command", metavar="KIND", required=True)
    for name, help_text in (("inspection", "the inspection report of a site for a period (default: last month)"),
                            ("faults", "the fault analysis of a site for a period (default: last quarter)")):
        r = rsub.add_parser(name, help=help_text)
        r.add_argument("--site", help="site name (default: agent.site)")
        r.add_argument("--period", help="2026-10 (month), 2026Q3 (quarter) or 2026-10-01..2026-10-15")
        if name == "faults":
            r.add_argument("--quarter", help="same as --period 2026Q3")
        r.add_argument("--format", type=_csv, help="html,pdf,md,json (default: reports.formats)")
        r.add_argument("--lang", type=_csv, help="zh-CN,en (default: reports.languages)")
        r.add_argument("--out", type=Path, help="folder for the files (default: <reports_dir>/<kind>)")
        r.add_argument("--archive", action="store_true",
                       help="write into the archive with its index page, and mail if reports.mail is enabled")
    d = rsub.add_parser("demo", help="seed a demo site (fixed clock) and write its sample reports")
    d.add_argument("--out", type=Path, default=Path("docs/samples"), help="folder for the samples (default: docs/samples)")
    d.add_argument("--format", type=_csv, default=["html", "pdf"], help="formats to write (default: html,pdf)")


def main(args: argparse.Namespace, ctx: AppContext) -> int:
    from agent.reports.build import UnknownSite
    from agent.reports.i18n import LANGUAGES
    from agent.reports.periods import PeriodError, last_month, last_quarter, parse_period
    from agent.reports.render import FORMATS, RenderError
    from agent.reports.service import ReportRequest, archive_report, generate

    if args.report_command == "demo":
        from agent.reports.demo import write_samples

        for path in write_samples(args.out, args.format):
            print(path)
        return EXIT_OK

    settings = ctx.settings.reports
    try:
        languages = args.lang or list(settings.languages)
        formats = args.format or list(settings.formats)
        bad_lang = [lang for lang in languages if lang not in LANGUAGES]
        bad_format = [f for f in formats if f not in FORMATS]
        if bad_lang or bad_format:
            from config.loader import did_you_mean

            raise ValueError("; ".join(
                [f"--lang: unknown language '{x}'{did_you_mean(x, LANGUAGES)}" for x in bad_lang]
                + [f"--format: unknown format '{x}'{did_you_mean(x, FORMATS)}" for x in bad_format]))
        text = args.period or getattr(args, "quarter", None)
        if text:
            period = parse_period(text, settings.timezone)
        elif args.report_command == "inspection":
            period = last_month(ctx.clock(), settings.timezone)
        else:
            period = last_quarter(ctx.clock(), settings.timezone)
        request = ReportRequest(kind=args.report_command, site=args.site or ctx.settings.agent.site, period=period,
                                languages=languages, formats=formats)
        if args.archive:
            files = archive_report(ctx, request)
        else:
            files = generate(ctx, request, args.out or ctx.settings.reports_dir / args.report_command)
    except (UnknownSite, PeriodError, ValueError) as exc:
        print(f"patrol report: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_USAGE
    except RenderError as exc:
        print(f"patrol report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for path in files:
        print(path)
    return EXIT_OK
