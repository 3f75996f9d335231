"""The rendered files: well-formed self-contained HTML, a PDF with the CJK font, Markdown."""

import re
import subprocess
from html.parser import HTMLParser

import pytest

from tests.support.proc import require_program

KEYS = [("inspection", "en"), ("inspection", "zh-CN"), ("faults", "en"), ("faults", "zh-CN")]
IDS = [f"{k}-{lang}" for k, lang in KEYS]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# SVG elements written self-closing in our charts
SVG_EMPTY = {"rect", "line", "polyline", "circle", "path"}


class WellFormed(HTMLParser):
    """Every element closed, in order; records what could load something from outside."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data", "poster") and value:
                self.urls.append(value)
            if name == "style" and value and "url(" in value:
                self.urls.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'} at {self.getpos()}")
            return
        self.stack.pop()


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_html_is_well_formed_and_self_contained(rendered, key):
    text = rendered[key]["html"].read_text(encoding="utf-8")
    parser = WellFormed()
    parser.feed(text)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert {"script", "link", "img", "iframe", "object"} & parser.tags == set()
    assert parser.urls == []  # no src/href at all: nothing to fetch, no link out
    assert not re.search(r"url\(", text), "CSS url() would fetch something"
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", text)
    assert "@import" not in text
    assert text.count("<svg") >= 2 and "<table" in text


def test_an_html_with_an_external_url_is_caught():
    parser = WellFormed()
    parser.feed('<html><body><img src="https://example.com/x.png"><p>x</p></body></html>')
    assert parser.urls == ["https://example.com/x.png"] and "img" in parser.tags


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_pdf_embeds_the_fonts_and_turns_into_png_pages(rendered, key, tmp_path):
    pdftoppm = require_program("pdftoppm", "poppler-utils")
    pdffonts = require_program("pdffonts", "poppler-utils")
    pdf = rendered[key]["pdf"]
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run([pdftoppm, "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2 and all(p.read_bytes().startswith(b"\x89PNG") for p in pages)
    fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), "every font is embedded"
    if key[1] == "zh-CN":
        assert any("CJK" in line for line in fonts), fonts


def test_pdf_text_is_chinese_in_the_chinese_report(rendered):
    pdftotext = require_program("pdftotext", "poppler-utils")
    text = subprocess.run([pdftotext, str(rendered[("inspection", "zh-CN")]["pdf"]), "-"], capture_output=True,
                          text=True, check=True).stdout
    for phrase in ("巡检报告", "优化改造建议", "防病毒特征库", "确认签字"):
        assert phrase in text


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_markdown_has_the_sections(rendered, key):
    text = rendered[key]["md"].read_text(encoding="utf-8")
    heading = {"inspection": {"en": "# Inspection report", "zh-CN": "# 巡检报告"},
               "faults": {"en": "# Fault analysis", "zh-CN": "# 故障分析报告"}}[key[0]][key[1]]
    assert text.startswith(heading)
    tables = [line for line in text.splitlines() if line.startswith("|---")]
    assert len(tables) >= 4


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_trend_axis_labels_of_a_month_do_not_run_together(lang):
    """31 day labels on a 640 px chart: the ones shown leave room for each other (the zh-CN "10月15日" is widest)."""
    import re
    from datetime import date, timedelta

    from agent.reports import charts
    from agent.reports.i18n import Translator

    t = Translator(lang, "Asia/Shanghai")
    labels = [t.short_date(date(2026, 10, 1) + timedelta(days=i)) for i in range(31)]
    svg = charts.trend("trend", [(label, i % 4, None) for i, label in enumerate(labels)], [])
    shown = re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" font-size="9">([^<]+)</text>', svg)
    assert len(shown) >= 5 and shown[0][1] == labels[0]
    for (x1, a), (x2, b) in zip(shown, shown[1:]):
        room = float(x2) - float(x1)
        # positions are written to 0.1 px
        assert room >= (charts.text_width(a, 9) + charts.text_width(b, 9)) / 2 + charts.LABEL_GAP - 0.1, (a, b, room)
