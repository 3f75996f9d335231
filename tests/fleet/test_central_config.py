"""Check settings from the centre: the merge rule, the loader applying it, and `config:pull` over HTTPS."""

from __future__ import annotations

import json
import logging

import pytest

from agent.fleet.protocol import CONFIG_PATH
from agent.run.central_pull import pull_config
from config.central import allowed, merge_checks, parse_central, CentralConfigError
from config.fleet_state import FleetPaths
from config.loader import load_settings

CENTRAL = {"system": {"memory_used_percent": {"warn": 80, "crit": 95}, "disk": {"used_percent": {"warn": 70}}},
           "web": {"user_agent": "Central"}}


def test_central_is_the_base_and_only_allowed_local_keys_override():
    local = {"system": {"memory_used_percent": {"warn": 99}, "schedule": {"interval_s": 30}},
             "web": {"urls": [{"url": "https://intranet.example/"}], "concurrency": 2}}
    merged, ignored = merge_checks(CENTRAL, local, ["web.*"])
    assert merged == {"system": {"memory_used_percent": {"warn": 80, "crit": 95}, "disk": {"used_percent": {"warn": 70}}},
                      "web": {"user_agent": "Central", "urls": [{"url": "https://intranet.example/"}], "concurrency": 2}}
    assert sorted(ignored) == ["system.memory_used_percent.warn", "system.schedule.interval_s"]
    assert CENTRAL["web"] == {"user_agent": "Central"}  # not modified in place


@pytest.mark.parametrize("path, patterns, expected", [
    ("web.urls", ["web.*"], True), ("web", ["web"], True), ("web.urls", ["web"], True),
    ("system.disk.used_percent.warn", ["system.disk.*"], True), ("system.cpu_percent.warn", ["system.disk.*"], False),
    ("mail.smtp.host", [], False), ("webx.a", ["web.*"], False),
])
def test_override_patterns(path, patterns, expected):
    assert allowed(path, patterns) is expected


def write_central(state, checks, overrides, etag='"v1"'):
    paths = FleetPaths.under(state)
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.enrolment.write_text(json.dumps({"url": "https://c:9470", "agent_id": "a", "site": "s", "target": "t",
                                           "credential": "pac_x"}))
    paths.central_config.write_text(json.dumps({"etag": etag, "config": {"site": "s", "target": "t", "checks": checks,
                                                                           "local_overrides": overrides}}))
    return paths


def test_loader_applies_central_settings_for_an_enrolled_agent(tmp_path, caplog):
    config = tmp_path / "patrol.yaml"
    config.write_text("paths: {state_dir: state}\nchecks:\n  system: {memory_used_percent: {warn: 99}}\n"
                      "  web: {concurrency: 2}\n")
    assert load_settings(config).checks.system.memory_used_percent.warn == 99  # not enrolled: local only
    write_central(tmp_path / "state", CENTRAL, ["web.*"])
    with caplog.at_level(logging.WARNING):
        settings = load_settings(config)
        load_settings(config)  # a second worker: no second warning
    assert settings.checks.system.memory_used_percent.warn == 80
    assert settings.checks.system.disk.used_percent.warn == 70
    assert settings.checks.web.concurrency == 2 and settings.checks.web.user_agent == "Central"
    warnings = [r.message for r in caplog.records if "local settings ignored" in r.message]
    assert len(warnings) == 1 and "checks.system.memory_used_percent.warn" in warnings[0] and "web.*" in warnings[0]


@pytest.mark.parametrize("document", [
    "{not json", json.dumps({"config": {"checks": []}}),
    json.dumps({"config": {"site": "s", "target": "t", "checks": {"system": {"memory_used_percent": {"warn": "lots"}}},
                           "local_overrides": []}}),
    json.dumps({"config": {"site": "s", "target": "t", "checks": {"nosuchfamily": {}}, "local_overrides": []}}),
], ids=["not-json", "checks-not-mapping", "bad-value", "unknown-family"])
def test_a_bad_central_document_is_logged_and_ignored(tmp_path, caplog, document):
    config = tmp_path / "patrol.yaml"
    config.write_text("paths: {state_dir: state}\nchecks: {system: {memory_used_percent: {warn: 99}}}\n")
    paths = write_central(tmp_path / "state", {}, [])
    paths.central_config.write_text(document)
    with caplog.at_level(logging.ERROR):
        settings = load_settings(config)
    assert settings.checks.system.memory_used_percent.warn == 99
    assert "check settings from the collector ignored" in caplog.text


def test_parse_central_rejects_overrides_that_are_not_strings():
    with pytest.raises(CentralConfigError):
        parse_central(json.dumps({"config": {"checks": {}, "local_overrides": [1]}}))


def test_pull_uses_the_etag_and_saves_a_new_body(collector, make_pusher):
    pusher = make_pusher(collector.url)
    body = {"site": "acme", "target": "pc-0412", "checks": CENTRAL, "local_overrides": ["web.*"]}
    collector.script.push(CONFIG_PATH, (200, body, {"ETag": '"abc"'}), (304, None, {}),
                          (200, {"site": "acme"}, {"ETag": '"broken"'}))
    assert pull_config(pusher) == "changed"
    saved = json.loads(pusher.link.paths.central_config.read_text())
    assert saved == {"etag": '"abc"', "config": body}
    assert pull_config(pusher) == "unchanged"
    first, second = collector.requests_to(CONFIG_PATH)[:2]
    assert "if-none-match" not in first.headers and second.headers["if-none-match"] == '"abc"'
    assert second.headers["authorization"].startswith("Bearer pac_")
    assert pull_config(pusher) == "failed"  # not an AgentConfig: the saved one stays
    assert json.loads(pusher.link.paths.central_config.read_text()) == saved


def test_pull_refused_is_the_same_one_line(collector, make_pusher, caplog):
    pusher = make_pusher(collector.url)
    collector.script.push(CONFIG_PATH, (401, {"detail": "unknown"}, {}), (401, {"detail": "unknown"}, {}))
    with caplog.at_level(logging.ERROR):
        assert pull_config(pusher) == "failed"
        assert pull_config(pusher) == "failed"
    assert sum("re-enrol with `patrol enroll`" in r.message for r in caplog.records) == 1
