"""Fixtures of the reports tests: one seeded demo store (fixed clock) and its reports.

The demo history (agent/reports/demo.py) is deterministic: seven months of results for
a twelve-device site and a dozen tickets, with a fixed clock at 2026-11-01 10:00 (UTC+8).
Seeding and folding it into the rollup takes a few seconds, once per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.reports.build import build_faults, build_inspection
from agent.reports.demo import DEMO_NOW, DEMO_SITE, DEMO_ZONE, demo_context, demo_inventory
from agent.reports.periods import parse_period
from agent.reports.render import write_outputs


@pytest.fixture(scope="session")
def demo_ctx(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo-store")
    ctx = demo_context(f"sqlite:///{folder}/demo.sqlite")
    yield ctx
    ctx.close()


def build(ctx, kind: str, label: str, lang: str, site: str = DEMO_SITE):
    period = parse_period(label, DEMO_ZONE)
    settings = ctx.settings.reports
    if kind == "inspection":
        return build_inspection(ctx.store.engine, demo_inventory(), site, period, now=DEMO_NOW, lang=lang,
                                settings=settings, inspected_by="patrol-demo", store=ctx.store)
    return build_faults(ctx.store.engine, demo_inventory(), site, period, now=DEMO_NOW, lang=lang,
                        settings=settings, store=ctx.store)


@pytest.fixture(scope="session")
def demo_reports(demo_ctx):
    """{(kind, lang): model} for October's inspection and Q3's fault analysis."""
    return {(kind, lang): build(demo_ctx, kind, label, lang)
            for kind, label in (("inspection", "2026-10"), ("faults", "2026Q3")) for lang in ("zh-CN", "en")}


@pytest.fixture(scope="session")
def rendered(demo_reports, tmp_path_factory) -> dict[tuple[str, str], dict[str, Path]]:
    """The demo reports written as HTML, PDF, Markdown and JSON: {(kind, lang): {format: path}}."""
    out = tmp_path_factory.mktemp("rendered")
    files = {}
    for key, report in demo_reports.items():
        paths = write_outputs(report, ["html", "pdf", "md", "json"], out)
        files[key] = {p.suffix[1:]: p for p in paths}
    return files
