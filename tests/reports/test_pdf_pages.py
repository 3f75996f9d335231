"""No near-empty last page in a PDF report, whatever the size of the site.

Rendered by WeasyPrint for stores of several sizes (which before this rule gave a last page
with only the footer, a split sign-off, or the sign-off alone), read back per page with
poppler's pdftotext. The rule, per report:
- the closing section (sign-off / SLA and recommendations) and the generated-by footer are
  all on the last page: never split, never the footer alone;
- it does not start that page: content from before it comes along;
- the last page holds at least MIN_LINES lines of text besides the running page footer.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from agent.reports.build import build_faults, build_inspection
from agent.reports.i18n import Translator
from agent.reports.periods import parse_period
from agent.reports.render import render_html, render_pdf
from agent.store import Store
from collectors.base import CheckResult, CheckRun, State
from config.reports import ReportsSettings
from inventory.models import Host, Inventory, Site
from tests.support.proc import require_program

MIN_LINES = 8
# After an appendix the last page may hold the end of one of its tables: its repeated header,
# at least two rows (never fewer, by the widow-rows rule) and the footer.
MIN_LINES_AFTER_APPENDIX = 4
OCTOBER = parse_period("2026-10", "UTC")
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
CHECKS = ("system.disk", "system.memory", "system.cpu", "antivirus.signatures", "patches.updates")


def _store(folder: Path, hosts: int) -> tuple[Store, Inventory]:
    store = Store.open(f"sqlite:///{folder / f'{hosts}.sqlite'}", "hq")
    at = datetime(2026, 10, 5, 2, tzinfo=timezone.utc)
    names = [f"pc-{i:03d}" for i in range(hosts)]
    for i, name in enumerate(names):
        store.record_run(CheckRun("system", name, at, 0.1, tuple(
            CheckResult(check, name, "", State.WARN if (i + j) % 4 == 0 else State.OK,
                        f"{check} measured on {name}", observed_at=at) for j, check in enumerate(CHECKS))))
    inventory = Inventory(site=Site(name="hq"), hosts=[Host(name=names[0], local=True),
                                                       *(Host(name=n, address=f"10.0.0.{i}") for i, n in enumerate(names) if i)])
    return store, inventory


def _pages(pdf: bytes, folder: Path) -> list[list[str]]:
    pdftotext = require_program("pdftotext", "poppler-utils")
    path = folder / "report.pdf"
    path.write_bytes(pdf)
    # pdftotext separates pages with a form feed
    text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [[line.strip() for line in page.splitlines() if line.strip()] for page in text.split("\f") if page.strip()]


def check_last_page(pages: list[list[str]], first_closing_line: str | None, footer_start: str, running: str) -> None:
    """``first_closing_line`` None: the report ends with an appendix after its closing section (the
    asset archive), so only the footer and the amount of text are checked."""
    last = pages[-1]
    body = [line for line in last if not line.startswith(running)]  # the running footer: site · period, page n / N
    assert any(line.startswith(footer_start) for line in body), f"the generated-by footer is not on the last page: {last}"
    assert not body[0].startswith(footer_start), f"the footer alone starts the last page: {last}"
    if first_closing_line is not None:
        heads = [i for i, line in enumerate(body) if line.startswith(first_closing_line)]
        assert heads, f"the closing section does not start on the last page (split?): {last}"
        assert heads[0] > 0, f"the closing section starts the last page alone: {last}"
    least = MIN_LINES if first_closing_line is not None else MIN_LINES_AFTER_APPENDIX
    assert len(body) >= least, f"near-empty last page ({len(body)} lines): {last}"


SIZES = [1, 5, 8, 12, 20]  # before the rule: 5 ended on a split sign-off, 12 on a lone one, faults of 8 on the footer


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf-pages")
    made = {n: _store(folder, n) for n in SIZES}
    yield made
    for store, _ in made.values():
        store.close()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("hosts", SIZES)
def test_the_inspection_report_has_no_near_empty_last_page(stores, hosts, lang, tmp_path):
    store, inventory = stores[hosts]
    report = build_inspection(store.engine, inventory, "hq", OCTOBER, now=NOW, lang=lang, settings=ReportsSettings(),
                              inspected_by="patrol-test")
    t = Translator(lang)
    pages = _pages(render_pdf(render_html(report)), tmp_path)
    check_last_page(pages, t("section.signoff"), t("footer.generated", at="", zone="")[:4], "hq · 2026-10")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("hosts", [8, 12, 20])
def test_the_fault_analysis_has_no_near_empty_last_page(stores, hosts, lang, tmp_path):
    store, inventory = stores[hosts]
    report = build_faults(store.engine, inventory, "hq", OCTOBER, now=NOW, lang=lang, settings=ReportsSettings())
    t = Translator(lang)
    pages = _pages(render_pdf(render_html(report)), tmp_path)
    check_last_page(pages, t("section.sla"), t("footer.generated", at="", zone="")[:4], "hq · 2026-10")


def test_the_demo_reports_have_no_near_empty_last_page(rendered, demo_reports, tmp_path):
    for (kind, lang), files in rendered.items():
        t = Translator(lang)
        pages = _pages(files["pdf"].read_bytes(), tmp_path)
        report = demo_reports[(kind, lang)]
        appendix = kind == "inspection" and getattr(report, "assets", None) is not None
        check_last_page(pages, None if appendix else t("section.signoff" if kind == "inspection" else "section.sla"),
                        t("footer.generated", at="", zone="")[:4], pages[-1][-1][:6])


def test_without_the_rule_a_lone_sign_off_page_is_caught(stores, tmp_path):
    """The check can fail: the same 12-device report without the closing rules ends on a lone sign-off."""
    store, inventory = stores[12]
    report = build_inspection(store.engine, inventory, "hq", OCTOBER, now=NOW, lang="zh-CN",
                              settings=ReportsSettings(), inspected_by="patrol-test")
    html = render_html(report)
    rules = (".closing { break-before: avoid; } .keep { break-inside: avoid; } footer { break-before: avoid; }",
             ".closing > :nth-last-child(-n+6) { break-before: avoid; }",
             "tbody tr:nth-last-child(-n+2) { break-before: avoid; }")
    assert all(rule in html for rule in rules)
    for rule in rules:
        html = html.replace(rule, "")
    t = Translator("zh-CN")
    with pytest.raises(AssertionError, match="alone|near-empty|split"):
        check_last_page(_pages(render_pdf(html), tmp_path), t("section.signoff"),
                        t("footer.generated", at="", zone="")[:4], "hq · 2026-10")
