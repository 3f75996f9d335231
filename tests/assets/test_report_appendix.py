"""The inspection report's asset archive appendix: devices, hardware and software changes of the period."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from agent.assets import archive
from agent.assets.model import Software
from agent.context import store_components
from agent.reports.build import build_inspection
from agent.reports.model import AssetConflict
from agent.reports.periods import parse_period
from agent.reports.render import render_html, render_json, render_markdown
from agent.store import Store
from config.reports import ReportsSettings
from inventory.models import AssetInfo, Host, Inventory, Site
from tests.assets.test_archive import pc

SITE = "s1"
NOVEMBER = parse_period("2026-11")
NOW = datetime(2026, 12, 1, 2, tzinfo=timezone.utc)
INVENTORY = Inventory(site=Site(name=SITE), hosts=(
    Host(name="pc-1", asset=AssetInfo(number="PC-0001", serial="PC1WRONG", warranty_end=date(2027, 1, 15))),
    Host(name="pc-2", asset=AssetInfo(number="<b>PC</b> | 0002"))))


@pytest.fixture
def store(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path}/s.sqlite", SITE, store_components())
    yield store
    store.close()


def at(day: int) -> datetime:
    return datetime(2026, 11, day, 7, tzinfo=timezone.utc)


def test_changes_of_the_period_only(store):
    october = datetime(2026, 10, 20, 7, tzinfo=timezone.utc)
    archive.record(store.engine, SITE, "pc-1", pc(october))
    before_period = replace(pc(october + timedelta(days=1)), software=pc().software[:1])  # October: not listed
    archive.record(store.engine, SITE, "pc-1", before_period)
    base = replace(before_period, captured_at=at(10))
    in_period = replace(base, memory=(replace(base.memory[0], serial="5F0E9D11"), base.memory[1]),
                        identity=replace(base.identity, bios_version="M1UKT5AA"),
                        software=(replace(base.software[0], version="24.08"),
                                  Software("钉钉", "7.6.0", "Alibaba", date(2026, 11, 10), "HKLM32")),
                        monitors=())
    archive.record(store.engine, SITE, "pc-1", in_period)
    report = build_inspection(store.engine, INVENTORY, SITE, NOVEMBER, now=NOW, lang="zh-CN",
                              settings=ReportsSettings(), inspected_by="patrol")
    a = report.assets
    assert [(d.name, d.serial, d.conflicts, d.warranty) for d in a.assets] == [
        ("pc-1", "PC1WRONG", (AssetConflict(field="serial", typed="PC1WRONG", captured="PC1ABCDE"),), "ends_soon"),
        ("pc-2", None, (), "unknown")]
    assert [(c.part, c.before, c.after, c.category) for c in a.hardware_changes] == [
        ("identity.bios_version", "M1UKT4BA", "M1UKT5AA", "firmware"),
        ("memory[ChannelA-DIMM0].serial", "3A1B2C3D", "5F0E9D11", "hardware")]  # the monitor undocked is not listed
    assert [(c.action, c.part, c.before, c.after) for c in a.software_changes] == [
        ("changed", "7-Zip 23.01 (x64)", "23.01", "24.08"), ("added", "钉钉", None, "7.6.0")]

    md = render_markdown(report)
    assert "## 附录：设备档案" in md and "| 更新 | 7-Zip 23.01 (x64) | 23.01 | 24.08 |" in md
    assert "&lt;b&gt;PC&lt;/b&gt; \\| 0002" in md  # typed text cannot break the table or inject HTML
    assert "序列号登记为 PC1WRONG，采集为 PC1ABCDE" in md
    # the changed part in the report's words; the slot name is device text and stays
    assert "| 整机 BIOS 版本 | M1UKT4BA | M1UKT5AA |" in md and "| 内存 ChannelA-DIMM0 序列号 |" in md
    html = render_html(report)
    assert 'id="assets"' in html and "&lt;b&gt;PC&lt;/b&gt; | 0002" in html and "<b>PC</b>" not in html
    assert json.loads(render_json(report))["assets"]["software_changes"][1]["part"] == "钉钉"
    en = render_markdown(report.model_copy(update={"lang": "en"}))
    assert "## Appendix: asset archive" in en and "| installed | 钉钉 |" in en
    assert "| System BIOS version |" in en and "| Memory ChannelA-DIMM0 serial |" in en


def test_no_archive_and_nothing_typed_means_no_appendix(store):
    bare = Inventory(site=Site(name=SITE), hosts=(Host(name="pc-1"),))
    report = build_inspection(store.engine, bare, SITE, NOVEMBER, now=NOW, lang="en", settings=ReportsSettings(),
                              inspected_by="patrol")
    assert report.assets is None
    assert "asset archive" not in render_markdown(report)


def test_a_store_without_the_archive_tables_still_reports(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path}/bare.sqlite", SITE)  # core tables only
    try:
        report = build_inspection(store.engine, INVENTORY, SITE, NOVEMBER, now=NOW, lang="en",
                                  settings=ReportsSettings(), inspected_by="patrol")
    finally:
        store.close()
    assert report.assets is None


def test_every_archive_section_and_field_has_words_in_both_languages():
    # A change's part is put in words from the catalogue; a field added to the model without
    # them would show its raw name (bios_version) in a customer's report.
    import dataclasses

    from agent.assets import model
    from agent.reports.i18n import catalogue

    classes = (model.Identity, model.Cpu, model.MemoryModule, model.Disk, model.NetworkAdapter, model.Monitor,
               model.OperatingSystem, model.Software, model.Component, model.NetworkInfo, model.PrinterInfo,
               model.PageCounter)
    fields = {f.name for cls in classes for f in dataclasses.fields(cls)}
    sections = {f.name for f in dataclasses.fields(model.AssetSnapshot)} - {"kind", "source", "captured_at", "gaps",
                                                                           "schema"}
    for lang in ("en", "zh-CN"):
        entries = catalogue(lang)
        assert sorted(f for f in fields if f"assets.field.{f}" not in entries) == [], lang
        assert sorted(s for s in sections if f"assets.section.{s}" not in entries) == [], lang
