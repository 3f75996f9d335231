"""Make reports for a site and period, in several languages and formats, and archive them.

The CLI (cli.py) and the scheduler (schedule.py) both come through here, so a scheduled
report is byte-for-byte what `patrol report ...` writes by hand.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agent.reports.build import build_faults, build_inspection, check_site
from agent.reports.periods import Period
from agent.reports.render import write_outputs
from agent.textsafe import path_slug

if TYPE_CHECKING:
    from agent.context import AppContext

log = logging.getLogger(__name__)

Kind = Literal["inspection", "faults"]


@dataclass(frozen=True)
class ReportRequest:
    kind: Kind
    site: str
    period: Period
    languages: Sequence[str]
    formats: Sequence[str]


def _site_store(ctx: AppContext, site: str):  # -> agent.store.Store
    """The context's store, or the same database scoped to another site."""
    store = ctx.store
    if site == store.site:
        return store
    return type(store)(store.engine, site)


def _site_inventory(ctx: AppContext, site: str):  # -> inventory.models.Inventory
    """The inventory of ``site``: this agent's, or one of the collector's further sites (serve.sites)."""
    entry = ctx.settings.serve.sites.get(site) if site != ctx.settings.agent.site else None
    if entry is None:
        return ctx.inventory
    from inventory.loader import load_inventory

    inventory = load_inventory(ctx.settings.resolve(entry.inventory) if entry.inventory else None,
                               local_name=ctx.settings.agent.name)
    # only that site's own hosts: the collector's computer is not one of them
    inventory = inventory.model_copy(update={"hosts": tuple(h for h in inventory.hosts if not h.local)})
    if inventory.site.name != site:
        inventory = inventory.model_copy(update={"site": inventory.site.model_copy(update={"name": site})})
    return inventory


def generate(ctx: AppContext, request: ReportRequest, out_dir: Path) -> list[Path]:
    """Build and write the report; raises UnknownSite, PeriodError or RenderError with a clear message."""
    settings = ctx.settings.reports
    store = ctx.store
    check_site(store.engine, ctx.inventory, ctx.settings.agent.site, request.site)
    site_store = _site_store(ctx, request.site)
    inventory = _site_inventory(ctx, request.site)
    if request.site == ctx.settings.agent.site and inventory.site.name != request.site:
        # The inventory describes this agent's site even when its file names it otherwise
        # (or there is no file: site "default" with just this computer).
        inventory = inventory.model_copy(update={"site": inventory.site.model_copy(update={"name": request.site})})
    written: list[Path] = []
    for lang in request.languages:
        if request.kind == "inspection":
            report = build_inspection(store.engine, inventory, request.site, request.period, now=ctx.clock(),
                                      lang=lang, settings=settings, inspected_by=ctx.settings.agent.name,
                                      store=site_store)
        else:
            report = build_faults(store.engine, inventory, request.site, request.period, now=ctx.clock(),
                                  lang=lang, settings=settings, store=site_store)
        written += write_outputs(report, request.formats, out_dir, cjk_font=settings.cjk_font,
                                 detail=settings.device_detail)
    store.audit("report.written", f"{request.kind} {request.site} {request.period.label}",
                {"files": [p.name for p in written]}, at=ctx.clock())
    return written


def archive_dir(ctx: AppContext) -> Path:
    return ctx.settings.reports_dir / "archive"


def write_index(archive: Path, title: str = "Patrol reports · 巡检报告归档") -> Path:
    """A self-contained index.html of every report in the archive (one folder per site), newest first."""
    sections = []
    for site_dir in sorted(p for p in archive.iterdir() if p.is_dir()):
        files = sorted((p for p in site_dir.iterdir() if p.is_file()), key=lambda p: p.name, reverse=True)
        stems: dict[str, list[Path]] = {}
        for f in files:
            stems.setdefault(f.stem, []).append(f)
        rows = "".join(
            f"<tr><td>{html.escape(stem)}</td><td>"
            + " ".join(f'<a href="{html.escape(site_dir.name)}/{html.escape(f.name)}">{html.escape(f.suffix[1:])}</a>'
                       for f in sorted(group, key=lambda p: p.suffix))
            + "</td></tr>" for stem, group in stems.items())
        sections.append(f"<h2>{html.escape(site_dir.name)}</h2><table><thead><tr><th>report</th><th>files</th>"
                        f"</tr></thead><tbody>{rows}</tbody></table>")
    page = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html.escape(title)
            + "</title><style>body{font-family:\"Noto Sans\",\"Noto Sans CJK SC\",sans-serif;margin:2em}"
              "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
              "</style></head><body><h1>" + html.escape(title) + "</h1>"
            + ("".join(sections) or "<p>No reports yet.</p>") + "</body></html>\n")
    index = archive / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def archive_report(ctx: AppContext, request: ReportRequest) -> list[Path]:
    """Write the report into the archive (<reports_dir>/archive/<site>/), refresh the index, mail it if set up."""
    archive = archive_dir(ctx)
    files = generate(ctx, request, archive / path_slug(request.site))
    write_index(archive)
    mail = ctx.settings.reports.mail
    if mail.enabled and mail.to:
        from agent.reports.mailer import MailError, send_report

        subject = f"[Patrol] {request.kind} {request.site} {request.period.label}"
        try:
            send_report(mail, subject, files)
        except MailError as exc:  # the files are archived: a mail failure is logged, not fatal
            log.warning("report %s written but not mailed: %s", subject, exc)
            ctx.store.audit("report.mail_failed", subject, {"error": str(exc)}, at=ctx.clock())
        else:
            ctx.store.audit("report.mailed", subject, {"to": list(mail.to)}, at=ctx.clock())
    return files
