"""The documented example config loads, and bad ticketing settings are refused with clear messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config.loader import ConfigError, parse_yaml, validate
from config.schema import Settings
from config.ticketing import TicketingSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "ticketing.md"


def test_example_in_docs_loads():
    block = re.search(r"```yaml\n(.*?)```", DOC.read_text(), re.S).group(1)
    settings = validate(Settings, parse_yaml(block, "docs/ticketing.md"))
    t = settings.ticketing
    assert t.backend == "rt" and str(t.rt.token) == "env:PATROL_RT_TOKEN"
    # The documented tiers are the service standard's (紧急 10 min / 2 h, 严重 1 h / 4 h, 一般 2 h / 8 h).
    assert [(x.name, x.respond_min, x.resolve_min) for x in t.tiers] == [
        ("urgent", 10, 120), ("serious", 60, 240), ("general", 120, 480)]
    assert t.silences[0].reason.startswith("patch rollout")
    assert settings.checks.switch.findings.resolve_after == 3


def test_defaults_are_the_service_standard():
    t = TicketingSettings()
    assert [(x.name, x.respond_min, x.resolve_min) for x in t.tiers] == [
        ("urgent", 10, 120), ("serious", 60, 240), ("general", 120, 480)]
    assert t.backend == "builtin" and t.tier_above("general") == "serious" and t.tier_above("urgent") == "urgent"


BAD = [
    ("unknown-tier", "ticketing:\n  priority:\n    crit: {low: sometime}\n", "unknown tier 'sometime'"),
    ("rt-without-token", "ticketing:\n  backend: rt\n", "backend rt needs rt.token"),
    ("plain-text-token", "ticketing:\n  backend: rt\n  rt: {token: hunter2}\n", "plain-text secrets are refused"),
    ("webhook-without-url", "ticketing:\n  backend: webhook\n", "backend webhook needs webhook.url"),
    ("naive-silence", "ticketing:\n  silences:\n    - {until: '2026-01-01T00:00:00', reason: x}\n", "give a time zone"),
    ("window-backwards", "ticketing:\n  maintenance:\n    - {name: w, start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z'}\n",
     "end must be after start"),
    ("typo", "ticketing:\n  storm_limt: 3\n", "did you mean 'storm_limit'"),
]


@pytest.mark.parametrize("text, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_settings_are_refused(text, message):
    with pytest.raises(ConfigError) as info:
        validate(Settings, parse_yaml(text, "patrol.yaml"))
    assert message in str(info.value)
    assert "hunter2" not in str(info.value)
