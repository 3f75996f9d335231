"""The report models of the seeded demo store: golden JSON, the published schema, bad input."""

import json
import os
from pathlib import Path

from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from agent.reports import schema
from agent.reports.build import UnknownSite, check_site, sla_status
from agent.reports.demo import DEMO_SITE, demo_inventory
from agent.reports.render import render_json
from agent.reports.sources import TicketRecord
from tests.reports.conftest import build

GOLDEN = Path(__file__).parent / "golden"
KEYS = [("inspection", "en"), ("inspection", "zh-CN"), ("faults", "en"), ("faults", "zh-CN")]


@pytest.mark.parametrize("kind,lang", KEYS, ids=[f"{k}-{lang}" for k, lang in KEYS])
def test_json_model_matches_golden(demo_reports, kind, lang):
    """Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff."""
    text = render_json(demo_reports[(kind, lang)])
    path = GOLDEN / f"{kind}-{lang}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs; UPDATE_GOLDEN=1 regenerates it"


@pytest.mark.parametrize("kind,lang", KEYS, ids=[f"{k}-{lang}" for k, lang in KEYS])
def test_json_validates_against_the_published_schema(demo_reports, kind, lang):
    published = json.loads((schema.DATA / f"{kind}.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(render_json(demo_reports[(kind, lang)])), published)


def test_published_schemas_match_the_models():
    assert schema.main(["--check"]) == 0, "run: python -m agent.reports.schema"


def test_inspection_content(demo_reports):
    r = demo_reports[("inspection", "en")]
    assert r.has_data and r.summary.devices_inspected == 12 and r.summary.previous_items is not None
    by_id = {rec.id: rec for rec in r.recommendations}
    assert by_id["antivirus.signatures"].targets == ("pc-003", "pc-006", "pc-007")
    assert by_id["antivirus.signatures"].title == "3 computers have antivirus signatures older than 19 days"
    pc6 = next(d for d in r.devices if d.name == "pc-006")
    assert {c.row: c.state for c in pc6.cells}["drivers"] == "warn"
    assert [c.row for c in pc6.cells][:3] == ["browser", "mail", "antivirus"]  # the standard's order
    assert {t.sla for t in r.tickets} == {"met", "breached"}  # the unresolved one is past its deadline
    assert r.findings_source == "results" and r.tickets_source == "ticketing"


def test_fault_analysis_content(demo_reports):
    f = demo_reports[("faults", "en")]
    assert f.by_type[0].key == "switch.ports" and f.by_type[0].count > f.by_type[0].previous
    assert f.recurring[0].target == "sw-3f" and f.recurring[0].last_summary == "uplink Gi1/0/48 down"
    assert f.noisy[0].target == "sw-3f" and len(f.noisy) <= 10
    assert {t.tier for t in f.sla_by_tier} == {"urgent", "serious", "general"}
    assert f.times.mtta_minutes is not None and f.times.previous_mtta_minutes is not None
    assert len(f.trend) == 14 and all(p.previous is not None for p in f.trend[:13])


H = timedelta(hours=1)
T = datetime(2026, 10, 1, 8, tzinfo=timezone.utc)
SLA = [
    ("resolved in time", dict(acknowledged_at=T + 0.1 * H, resolved_at=T + H), "met"),
    ("open, deadlines ahead", dict(acknowledged_at=T + 0.1 * H, resolved_at=None), "open"),
    ("open, resolve deadline passed", dict(acknowledged_at=T + 0.1 * H, resolved_at=None, now=T + 9 * H), "breached"),
    ("late response", dict(acknowledged_at=T + 3 * H, resolved_at=T + 4 * H), "breached"),
    ("resolved before the response deadline, never acknowledged", dict(acknowledged_at=None, resolved_at=T + H), "met"),
    ("never acknowledged, response deadline passed", dict(acknowledged_at=None, resolved_at=None, now=T + 3 * H), "breached"),
]


@pytest.mark.parametrize("case,fields,expected", SLA, ids=[c[0] for c in SLA])
def test_sla_status(case, fields, expected):
    now = fields.pop("now", T + 1.5 * H)
    ticket = TicketRecord(key="PT-1", fingerprint="f", target="pc", title="x", priority="general", status="open",
                          opened_at=T, due_response=T + 2 * H, due_resolve=T + 8 * H,
                          **fields)
    assert sla_status(ticket, now) == expected


@pytest.mark.parametrize("kind,label", [("inspection", "2025-01"), ("faults", "2025Q1")], ids=["inspection", "faults"])
def test_a_period_without_data_says_so(demo_ctx, kind, label):
    report = build(demo_ctx, kind, label, "en")
    assert report.has_data is False
    from agent.reports.render import render_html, render_markdown

    assert 'id="no-data"' in render_html(report)
    assert "No check results were recorded for site demo-hq in " + label in render_markdown(report)
    if kind == "inspection":  # never "every checked item was OK" of a period in which nothing was checked
        for text in (render_html(report), render_markdown(report)):
            assert "Every checked item was OK" not in text and "Nothing was checked in this period" in text


def test_an_unknown_site_is_a_clear_error(demo_ctx):
    with pytest.raises(UnknownSite, match="unknown site 'nowhere'; known: .*demo-hq"):
        check_site(demo_ctx.store.engine, demo_inventory(), DEMO_SITE, "nowhere")


def test_ticketing_finding_episodes_give_fingerprint_and_start(tmp_path):
    """An open finding episode in ticketing's table names the finding and when it began."""
    from agent.context import store_components
    from agent.reports.build import build_inspection
    from agent.reports.periods import parse_period
    from agent.store import Store
    from agent.ticketing import schema as ticketing
    from collectors.base import CheckResult, CheckRun, State
    from config.reports import ReportsSettings

    store = Store.open(f"sqlite:///{tmp_path}/s.sqlite", "s1", store_components())
    began = datetime(2026, 9, 20, 6, tzinfo=timezone.utc)
    for day in (1, 2):
        at = datetime(2026, 10, day, 8, tzinfo=timezone.utc)
        store.record_run(CheckRun("system", "pc-1", at, 0.1, (
            CheckResult("system.disk", "pc-1", "C:", State.CRIT, "C: 97% used", observed_at=at),)))
    with store.engine.begin() as conn:
        conn.execute(ticketing.findings.insert().values(
            fingerprint="fp-from-ticketing", site="s1", target="pc-1", check="system.disk", item="C:", status="open",
            severity="crit", worst_severity="crit", title="system.disk [C:] on pc-1", summary="C: 97% used",
            details="", first_seen=began, last_seen=began, opened_at=began, resolved_at=None, bad_count=3,
            ok_count=0, ok_since=None, streak_known=True, flapping=False, transitions=[], held_reason=None,
            ticket_fp=None, last_comment_at=None, pending_note=None))
    report = build_inspection(store.engine, demo_inventory().model_copy(update={"hosts": ()}), "s1",
                              parse_period("2026-10"), now=datetime(2026, 11, 1, tzinfo=timezone.utc), lang="en",
                              settings=ReportsSettings(), inspected_by="t", store=store)
    (finding,) = report.findings
    assert (finding.fingerprint, finding.first_seen, report.findings_source) == ("fp-from-ticketing", began, "ticketing")
    assert report.tickets == () and report.tickets_source == "ticketing"
    store.close()
