"""Site names and device text are data in every report format: no path traversal, no
CSS or HTML injection, inert Markdown, and a PDF that can never fetch a URL."""

from __future__ import annotations

import re

import pytest

from agent.reports.render import RenderError, render_html, render_markdown, render_pdf, write_outputs

HOSTILE_SITE = "ACME/Shanghai\n}} body { display: none } </style><script>alert(1)</script>"
HOSTILE_SUMMARY = "<img src=http://192.0.2.1/x.png> [click](javascript:alert(1)) | <script>x</script>"


@pytest.fixture(scope="module")
def hostile_report(demo_reports):
    report = demo_reports[("inspection", "en")]
    findings = list(report.findings)
    findings[0] = findings[0].model_copy(update={"summary": HOSTILE_SUMMARY})
    return report.model_copy(update={"site": report.site.model_copy(update={"name": HOSTILE_SITE}),
                                     "findings": tuple(findings) if isinstance(report.findings, tuple) else findings})


def test_site_name_cannot_leave_the_output_folder(demo_reports, tmp_path):
    out = tmp_path / "out"
    for name in ("ACME/Shanghai", "../../x", "..", "/etc/cron.d/x"):
        report = demo_reports[("inspection", "en")]
        report = report.model_copy(update={"site": report.site.model_copy(update={"name": name})})
        paths = write_outputs(report, ["md", "json"], out)
        for path in paths:
            assert path.parent == out and path.exists(), path
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"inspection-{slug}-2026-10-en.{ext}" for slug in ("ACME-Shanghai", "x", "site", "etc-cron.d-x")
        for ext in ("md", "json"))
    assert list(tmp_path.iterdir()) == [out]


def test_site_name_cannot_inject_css_or_html(hostile_report):
    html = render_html(hostile_report)
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert "display: none" not in style and "}}" not in style and "<script" not in style
    assert "ACME\\00002fShanghai\\00000a" not in style  # a newline is a CSS escape, never raw
    assert "ACME\\00002fShanghai" in style
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=http" not in html


def test_markdown_report_keeps_device_html_inert(hostile_report):
    md = render_markdown(hostile_report)
    assert "<img" not in md and "<script" not in md
    assert "&lt;img src=http://192.0.2.1/x.png&gt;" in md
    assert "\\[click\\](javascript:alert(1))" in md and "\\|" in md
    assert "\n}} body" not in md  # the site name's newline does not break out of its line


def test_pdf_with_hostile_site_renders(hostile_report, tmp_path):
    paths = write_outputs(hostile_report, ["pdf"], tmp_path)
    assert paths[0].read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("html", [
    '<p>x</p><img src="http://192.0.2.1/x.png">',
    '<style>@import url("http://192.0.2.1/a.css");</style><p>x</p>',
    '<p style="background: url(file:///etc/passwd)">x</p>',
])
def test_pdf_refuses_every_url_under_the_installed_weasyprint(html):
    with pytest.raises(RenderError, match="reports must be self-contained"):
        render_pdf(html)
