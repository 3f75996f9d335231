"""The checklist mapping, the recommendations catalogue and the message catalogues (data files)."""

import re
import string

import pytest

from agent.reports.checklist import OTHER, default_checklist
from agent.reports.i18n import LANGUAGES, Translator, catalogue
from agent.reports.recommendations import Problem, default_catalogue, group

ROWS = [
    ("host", "web.http", "browser"),
    ("host", "mail.imap", "mail"),
    ("host", "antivirus.signatures", "antivirus"),
    ("host", "antivirus", "antivirus"),  # the runner's failure result: bare family name
    ("host", "antivirus.policy", "av_policy"),
    ("host", "patches.security", "patches"),
    ("host", "printers.queue", "printers"),
    ("host", "domain.secure_channel", "domain"),
    ("host", "software.office", "software"),
    ("host", "hardware.drivers", "drivers"),
    ("host", "hardware.conflicts", "hardware"),
    ("host", "system.disk", "resources"),
    ("host", "bitlocker.status", OTHER),
    ("network_device", "switch", "reachability"),
    ("network_device", "switch.ports", "ports"),
    ("network_device", "switch.portal", OTHER),  # a dotted prefix, not a string prefix
    ("network_device", "switch.temperature", "environment"),
    ("network_device", "netconfig.changes", "config"),
    ("printer", "printer_snmp", "reachability"),
    ("printer", "printer_snmp.supplies", "supplies"),
    ("printer", "printer_snmp.alerts", "printer_status"),
]


@pytest.mark.parametrize("kind,check,row", ROWS, ids=[f"{k}:{c}" for k, c, _ in ROWS])
def test_checks_map_to_checklist_rows(kind, check, row):
    assert default_checklist().row_of(kind, check) == row


def test_host_rows_follow_the_standard_order():
    numbers = [r.number for r in default_checklist().rows_for("host") if r.number is not None]
    assert sorted(numbers) == list(range(1, 12))


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _forms(entry) -> list[str]:
    return [entry] if isinstance(entry, str) else list(entry.values())


def test_languages_have_the_same_message_keys_and_placeholders():
    # msg.* (results' sentences) are in zh-CN only: their English is the collectors' templates (next test).
    zh = {k: v for k, v in catalogue("zh-CN").items() if not k.startswith("msg.")}
    en = catalogue("en")
    assert set(zh) == set(en), set(zh) ^ set(en)
    assert not [k for k in en if k.startswith("msg.")]
    for key in en:
        en_names = set().union(*(_placeholders(f) for f in _forms(en[key])))
        zh_names = set().union(*(_placeholders(f) for f in _forms(zh[key])))
        assert zh_names <= en_names | {"count", "n"}, key


def test_every_checklist_row_has_a_label_in_both_languages():
    for lang in LANGUAGES:
        t = Translator(lang)
        for kind in ("host", "network_device", "printer"):
            for row in default_checklist().rows_for(kind):
                assert t.row_label(kind, row.id) != row.id, (lang, kind, row.id)


def test_every_recommendation_has_title_and_action_in_both_languages():
    cat = default_catalogue()
    for entry in (*cat.entries, cat.default):
        for lang in LANGUAGES:
            texts = entry.texts[lang]
            assert texts["action"] and texts["title"], (entry.id, lang)
            if entry.metric:
                assert "{value}" in str(texts["title_value"]), entry.id


def av(target, age):
    return Problem("antivirus.signatures", target, "crit", {"signature_age_days": age})


GROUPS = [
    ("en", [av(f"pc-{i:02d}", 8 + i) for i in range(12)], "12 computers have antivirus signatures older than 8 days"),
    ("zh-CN", [av(f"pc-{i:02d}", 8 + i) for i in range(12)], "12 台计算机的防病毒特征库超过 8 天未更新"),
    ("en", [av("pc-01", 30)], "1 computer has antivirus signatures older than 30 days"),
    ("en", [Problem("antivirus.signatures", "pc-01", "warn", {})], "1 computer has out-of-date antivirus signatures"),
    ("en", [Problem("bitlocker.status", "pc-01", "warn", {}), Problem("bitlocker.status", "pc-02", "warn", {})],
     "2 devices have a problem in check bitlocker.status"),
]


@pytest.mark.parametrize("lang,problems,title", GROUPS, ids=["en-12", "zh-12", "en-one", "en-no-metric", "default"])
def test_findings_are_grouped_across_devices(lang, problems, title):
    (rec,) = group(problems, lang)
    assert rec.title == title
    assert rec.count == len({p.target for p in problems})


def test_groups_are_ordered_worst_first():
    recs = group([Problem("system.disk", "a", "warn", {}), Problem("patches.security", "b", "crit", {})], "en")
    assert [r.severity for r in recs] == ["crit", "warn"]


@pytest.mark.parametrize("lang,value,expected", [
    ("en", 12345.6, "12,346"), ("zh-CN", 12345.6, "12,346"),
], ids=["en", "zh"])
def test_numbers_follow_the_locale(lang, value, expected):
    assert Translator(lang).number(value) == expected


@pytest.mark.parametrize("lang,expected", [("en", "October 31, 2026"), ("zh-CN", "2026年10月31日")], ids=["en", "zh"])
def test_dates_follow_the_locale(lang, expected):
    from datetime import date

    assert Translator(lang).date(date(2026, 10, 31)) == expected


def test_english_plural_forms():
    t = Translator("en")
    assert re.match(r"^1 device was", t("summary.sentence", count=1, items="3", problems="0", samples="9"))
    assert re.match(r"^2 devices were", t("summary.sentence", count=2, items="3", problems="0", samples="9"))


# Check names the collectors really emit (collectors/switch.py, collectors/printer_snmp.py) and the
# recommendation that fits each cause; a generic family entry here was the bug ("clear the alert" for a
# printer that does not answer).
REAL_CHECKS = [
    ("printer_snmp.reachability", "printer_snmp.reachability"),
    ("printer_snmp", "printer_snmp.reachability"),  # the collector failed as a whole: nothing answered
    ("printer_snmp.supply", "printer_snmp.supplies"),
    ("printer_snmp.status", "printer_snmp."),
    ("switch.port", "switch.ports"),
    ("switch.temperature", "switch.environment"),
    ("switch.fan", "switch.environment"),
    ("switch.psu", "switch.environment"),
    ("switch.reachability", "switch.reachability"),
]


@pytest.mark.parametrize("check, entry", REAL_CHECKS, ids=[c for c, _ in REAL_CHECKS])
def test_real_check_names_get_the_recommendation_of_their_cause(check, entry):
    from agent.reports.recommendations import default_catalogue

    assert default_catalogue().entry_for(check).id == entry


def test_every_network_device_row_is_fed_by_a_check_the_switch_collector_emits():
    """A row only fictitious check names feed always says "not checked", even of what was measured."""
    import re
    from pathlib import Path

    from agent.reports.checklist import default_checklist

    source = (Path(__file__).resolve().parents[2] / "collectors" / "switch.py").read_text(encoding="utf-8")
    emitted = {f"switch.{name}" for name in re.findall(r'result\(\s*"([a-z_]+)"', source)}
    emitted |= {f"switch.{name}" for name in re.findall(r'\("(fan|psu)", h\.', source)}
    checklist = default_checklist()
    fed = {checklist.row_of("network_device", check) for check in emitted}
    rows = {row.id for row in checklist.rows_for("network_device")} - {"config"}  # config: netconfig's own checks
    assert rows <= fed, f"rows nothing feeds: {rows - fed}; emitted: {sorted(emitted)}"


def declared_messages() -> dict[str, str]:
    """Every message id a collector declares (collectors/messages.py ``Messages`` tables), with its English."""
    import importlib
    import pkgutil

    import collectors
    from collectors.messages import Messages

    out: dict[str, str] = {}
    # the collectors, the site collector's own results about its agents and hosts, the demo site
    names = [info.name for info in pkgutil.walk_packages(collectors.__path__, "collectors.")]
    for name in (*names, "agent.serve.ingest", "agent.serve.watch", "agent.reports.demo"):
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, Messages):
                out.update(value.templates)
    return out


def test_every_collector_message_has_a_zh_cn_sentence_with_the_same_placeholders():
    zh = catalogue("zh-CN")
    declared = declared_messages()
    assert len(declared) > 50  # the walk found the collectors' tables
    missing = sorted(mid for mid in declared if f"msg.{mid}" not in zh)
    assert not missing, f"no zh-CN sentence for {missing}"
    for mid, english in declared.items():
        zh_fields = {(n, spec) for _, n, spec, _ in string.Formatter().parse(zh[f"msg.{mid}"]) if n}
        en_fields = {(n, spec) for _, n, spec, _ in string.Formatter().parse(english) if n}
        # zh-CN may leave a parameter out (a detail said in other words), never invent one or format it otherwise
        assert zh_fields <= en_fields, (mid, zh_fields - en_fields)
    from collectors import messages
    from collectors.base import MessageRef

    for mid in declared:  # every id survives the wire and the store (a refused id would silently be English)
        assert messages.from_json(messages.to_json(MessageRef(mid))).id == mid
    stale = sorted(k for k in zh if k.startswith("msg.") and k[4:] not in declared)
    assert not stale, f"zh-CN sentences no collector declares: {stale}"
