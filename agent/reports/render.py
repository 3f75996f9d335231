"""Render a report model as HTML, PDF, Markdown or JSON, in zh-CN or English.

One template set (templates/*.j2) serves both languages: every label goes through the
message catalogue (``t("key")``), every date and number through ``t.date``/``t.number``.
The HTML is one self-contained file: CSS inline, charts as inline SVG, no script, no
font or image fetched. The PDF is WeasyPrint's rendering of that same HTML, with a URL
fetcher that refuses every URL, so a PDF can never trigger a request either; the CJK
font is found through fontconfig by family name and embedded (subset) by WeasyPrint.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from agent.reports import charts
from agent.reports.checklist import default_checklist
from agent.reports.i18n import Translator
from agent.reports.model import ChecklistCell, DeviceSection, FaultAnalysis, InspectionReport
from agent.textsafe import css_string, markdown_inline, path_slug

Report = InspectionReport | FaultAnalysis
FORMATS = ("html", "pdf", "md", "json")
STATES = ("ok", "warn", "crit", "unknown", "not_checked")


class RenderError(RuntimeError):
    pass


@functools.cache
def _environment(autoescape: bool) -> Environment:
    # Markdown: every printed value has its raw HTML made inert (device text such as
    # `<img src=...>` would render in a Markdown viewer); the `md` filter also escapes
    # Markdown syntax for values that are device or user text.
    env = Environment(loader=PackageLoader("agent.reports", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]) if autoescape else False,
                      finalize=None if autoescape else _no_raw_html,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = _md_cell
    # CSS strings (the page footer): HTML escaping does not apply inside <style>.
    env.filters["css_string"] = lambda value: Markup(css_string(value))
    return env


class _MdSafe(str):
    """Text already escaped by the `md` filter (not escaped again by the finalizer)."""


def _md_cell(value: Any) -> str:
    """A value safe inside a Markdown table cell or inline text."""
    return _MdSafe(markdown_inline(value))


def _no_raw_html(value: Any) -> Any:
    if isinstance(value, _MdSafe) or not isinstance(value, str):
        return value
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _state_rows(report: InspectionReport, t: Translator) -> list[tuple[str, list[tuple[str, int]]]]:
    rows = []
    current = report.summary.items
    rows.append((t("summary.this_period", period=report.period.label), [(s, getattr(current, s)) for s in STATES]))
    if report.summary.previous_items is not None:
        prev = report.summary.previous_items
        rows.append((t("summary.previous_period", period=report.summary.previous_period),
                     [(s, getattr(prev, s)) for s in STATES]))
    return rows


def _row_distribution(report: InspectionReport, t: Translator, kind: str) -> list[tuple[str, list[tuple[str, int]]]]:
    """Per checklist row of one device kind (in the standard's order), devices in each state."""
    counts: dict[str, dict[str, int]] = {}
    for device in report.devices:
        if device.kind == kind:
            for cell in device.cells:
                counts.setdefault(cell.row, dict.fromkeys(STATES, 0))[cell.state] += 1
    rows = [r for r in default_checklist().rows_for(kind) if r.id in counts]
    return [(f"{r.number if r.number is not None else chr(ord('a') + i)} {t.short_row_label(kind, r.id)}",
             list(counts[r.id].items())) for i, r in enumerate(rows)]


@dataclass(frozen=True)
class MatrixColumn:
    mark: str
    row: str
    label: str


@dataclass(frozen=True)
class Matrix:
    """The checklist overview of one device kind: devices down, checklist rows across."""

    kind: str
    columns: tuple[MatrixColumn, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


def checklist_matrix(report: InspectionReport, t: Translator) -> list[Matrix]:
    out = []
    for kind in ("host", "network_device", "printer"):
        devices = [d for d in report.devices if d.kind == kind]
        if not devices:
            continue
        used = {c.row for d in devices for c in d.cells}
        columns = tuple(MatrixColumn(str(row.number) if row.number is not None else chr(ord("a") + i), row.id,
                                     t.row_label(kind, row.id))
                        for i, row in enumerate(r for r in default_checklist().rows_for(kind) if r.id in used))
        rows = []
        for d in devices:
            states = {c.row: c.state for c in d.cells}
            rows.append((d.name, tuple(states.get(c.row, "not_checked") for c in columns)))
        out.append(Matrix(kind, columns, tuple(rows)))
    return out


AUTO_DETAIL_LIMIT = 50
MAX_TABLE_ROWS = 40  # long ranking tables (recurring problems) in HTML/PDF; JSON has every row
# Shapes as well as colours, so a black-and-white print still tells the states apart.
MATRIX_MARKS = {"ok": "●", "warn": "▲", "crit": "✖", "unknown": "?", "not_checked": "–"}


@dataclass(frozen=True)
class DeviceDetail:
    device: DeviceSection
    cells: tuple[ChecklistCell, ...]


def device_details(report: InspectionReport, detail: str) -> tuple[bool, list[DeviceDetail]]:
    """The device sections to print, and whether they were cut down to the problems.

    A 500-device site has 10,000 checklist cells: printed in full that is ~300 PDF pages
    that nobody reads (and minutes of WeasyPrint). The overview matrix already shows
    every cell's state and the findings table holds the evidence of every cell that is
    not OK, so "problems" leaves the per-device sections out (JSON always has them all).
    """
    if detail == "auto":
        detail = "all" if len(report.devices) <= AUTO_DETAIL_LIMIT else "problems"
    if detail == "all":
        return False, [DeviceDetail(d, d.cells) for d in report.devices]
    return True, []


def _legend(t: Translator, keys: Iterable[str]) -> list[tuple[str, str]]:
    return [(k, t(f"state.{k}") if k in STATES else t(f"legend.{k}")) for k in keys]


def inspection_charts(report: InspectionReport, t: Translator) -> dict[str, Markup]:
    out = {"states": Markup(charts.stacked_bars(t("chart.states"), _state_rows(report, t), _legend(t, STATES),
                                                label_width=170))}
    for kind in ("host", "network_device", "printer"):
        rows = _row_distribution(report, t, kind)
        if rows:
            out[f"rows_{kind}"] = Markup(charts.stacked_bars(f'{t("chart.rows")}: {t("kind." + kind)}', rows,
                                                             _legend(t, STATES), label_width=170))
    return out


def fault_charts(report: FaultAnalysis, t: Translator) -> dict[str, Markup]:
    period_legend = [("current", report.period.label), ("previous", report.previous_period)]
    out = {
        "trend": Markup(charts.trend(t("chart.trend"), [(p.label, p.problems, p.previous) for p in report.trend],
                                     period_legend)),
        "by_type": Markup(charts.paired_bars(t("chart.by_type"), [(t.check_label(r.key), r.count, r.previous)
                                                                  for r in report.by_type[:12]], period_legend)),
    }
    if report.sla_by_tier:
        out["sla"] = Markup(charts.percent_bars(t("chart.sla"), [
            (t.tier_label(r.tier), r.compliance, t.percent(r.compliance) if r.compliance is not None else "—")
            for r in report.sla_by_tier]))
    return out


def render_html(report: Report, *, cjk_font: str = "Noto Sans CJK SC", detail: str = "auto") -> str:
    t = Translator(report.lang, report.period.timezone)
    env = _environment(True)
    if isinstance(report, InspectionReport):
        template, chart_set = env.get_template("inspection.html.j2"), inspection_charts(report, t)
    else:
        template, chart_set = env.get_template("faults.html.j2"), fault_charts(report, t)
    if isinstance(report, InspectionReport):
        matrix = checklist_matrix(report, t)
        shortened, details = device_details(report, detail)
    else:
        matrix, shortened, details = [], False, []
    return template.render(r=report, t=t, charts=chart_set, cjk_font=cjk_font, states=STATES, matrix=matrix,
                           max_rows=MAX_TABLE_ROWS,
                           details=details, shortened=shortened, state_label={s: t(f"state.{s}") for s in STATES},
                           mark=MATRIX_MARKS)


def render_markdown(report: Report, *, detail: str = "auto") -> str:
    t = Translator(report.lang, report.period.timezone)
    if isinstance(report, InspectionReport):
        shortened, details = device_details(report, detail)
        return _environment(False).get_template("inspection.md.j2").render(
            r=report, t=t, states=STATES, details=details, shortened=shortened)
    return _environment(False).get_template("faults.md.j2").render(r=report, t=t, states=STATES)


def render_json(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def _refuse_urls(url: str, *args: Any, **kwargs: Any) -> dict:
    raise RenderError(f"the report tried to load {url!r}; reports must be self-contained")


def render_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: pango missing
        raise RenderError(f"PDF output needs WeasyPrint and Debian's pango (scripts/install.sh installs both): "
                          f"{exc}") from None
    refused: list[str] = []
    try:
        pdf = HTML(string=html, url_fetcher=_refusing_fetcher(refused)).write_pdf()
    except BaseException as exc:  # WeasyPrint's FatalURLFetchingError is a BaseException
        if not refused:
            raise
        raise RenderError(f"the report tried to load {refused[0]!r}; reports must be self-contained") from exc
    if refused:  # a WeasyPrint that logs a fetcher's error and renders on
        raise RenderError(f"the report tried to load {refused[0]!r}; reports must be self-contained")
    return pdf


def _refusing_fetcher(refused: list[str]) -> Any:
    """A URL fetcher that fetches nothing and remembers what was asked. WeasyPrint 68+
    wants a ``URLFetcher`` (a plain function fails with an AttributeError on the first
    URL); older releases take a function."""
    try:
        from weasyprint.urls import FatalURLFetchingError, URLFetcher
    except ImportError:
        def fetch(url: str, *args: Any, **kwargs: Any) -> dict:
            refused.append(url)
            return _refuse_urls(url)

        return fetch

    class Refuse(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            refused.append(url)
            raise FatalURLFetchingError(f"refused {url!r}: reports must be self-contained")

    return Refuse(fail_on_errors=True)


def file_stem(report: Report) -> str:
    """The file name (without suffix): the site name is slugged, never a path."""
    kind = "inspection" if isinstance(report, InspectionReport) else "faults"
    return f"{kind}-{path_slug(report.site.name)}-{path_slug(report.period.label, 'period')}-{path_slug(report.lang, 'lang')}"


def write_outputs(report: Report, formats: Sequence[str], out_dir: Path, *, cjk_font: str = "Noto Sans CJK SC",
                  detail: str = "auto", stem: str | None = None) -> list[Path]:
    """Write the report in each format into ``out_dir``; returns the files written."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise RenderError(f"unknown format {', '.join(unknown)}: use {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or file_stem(report)
    written: list[Path] = []
    html: str | None = None
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        if fmt in ("html", "pdf") and html is None:
            html = render_html(report, cjk_font=cjk_font, detail=detail)
        if fmt == "html":
            path.write_text(html, encoding="utf-8")
        elif fmt == "pdf":
            path.write_bytes(render_pdf(html))
        elif fmt == "md":
            path.write_text(render_markdown(report, detail=detail), encoding="utf-8")
        else:
            path.write_text(render_json(report), encoding="utf-8")
        written.append(path)
    return written
