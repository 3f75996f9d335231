"""The reports of a site as the console lists, serves and makes them: the archive that
`patrol report` and the schedule write (<reports_dir>/archive/<site>/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from agent.textsafe import path_slug

MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf", ".md": "text/markdown; charset=utf-8",
               ".json": "application/json"}


@dataclass(frozen=True, slots=True)
class ReportFiles:
    stem: str  # e.g. inspection-acme-2026-11.zh-CN
    files: tuple[str, ...]  # file names, one per format
    written_at: datetime


def site_archive(ctx: Any, site: str) -> Path:
    from agent.reports.service import archive_dir

    return archive_dir(ctx) / path_slug(site)


def list_reports(ctx: Any, site: str) -> list[ReportFiles]:
    """The site's archived reports, newest first, grouped by name across formats."""
    folder = site_archive(ctx, site)
    if not folder.is_dir():
        return []
    groups: dict[str, list[Path]] = {}
    for path in folder.iterdir():
        if path.is_file() and path.suffix in MEDIA_TYPES:
            groups.setdefault(path.stem, []).append(path)
    out = [ReportFiles(stem, tuple(sorted(p.name for p in paths)),
                       datetime.fromtimestamp(max(p.stat().st_mtime for p in paths), timezone.utc))
           for stem, paths in groups.items()]
    return sorted(out, key=lambda r: r.written_at, reverse=True)


def report_file(ctx: Any, site: str, name: str) -> Path | None:
    """The archived file of that exact name (never a path outside the site's folder)."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    path = site_archive(ctx, site) / name
    return path if path.suffix in MEDIA_TYPES and path.is_file() else None


def generate_now(ctx: Any, site: str, kind: str, period_text: str) -> list[Path]:
    """`patrol report` for one site and period, into the archive (raises ValueError with the reason)."""
    from agent.reports.periods import parse_period
    from agent.reports.service import ReportRequest, archive_report

    if kind not in ("inspection", "faults"):
        raise ValueError(f"unknown report kind {kind!r}")
    settings = ctx.settings.reports
    period = parse_period(period_text.strip(), settings.timezone)
    return archive_report(ctx, ReportRequest(kind=kind, site=site, period=period, languages=settings.languages,
                                             formats=settings.formats))
