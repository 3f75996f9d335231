"""Every YAML example in docs/checks-endpoint.md is a valid Patrol config (loaded by the real loader)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config.loader import parse_yaml, validate
from config.schema import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks-endpoint.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_doc_has_one_example_per_family() -> None:
    families = [next(iter(parse_yaml(block, "doc").data["checks"])) for block in BLOCKS]
    assert families == ["printers", "web", "software", "hardware"]


@pytest.mark.parametrize("block", BLOCKS, ids=["printers", "web", "software", "hardware"])
def test_example_loads(block: str) -> None:
    settings = validate(Settings, parse_yaml(block, str(DOC)))
    family = next(iter(parse_yaml(block, "doc").data["checks"]))
    section = getattr(settings.checks, family)
    assert section.model_fields_set  # the example really set something


def test_example_values_arrive() -> None:
    settings = {next(iter(parse_yaml(b, "doc").data["checks"])): validate(Settings, parse_yaml(b, "doc")) for b in BLOCKS}
    assert settings["printers"].checks.printers.reason_states == {"toner-low": "ok"}
    assert settings["web"].checks.web.urls[0].expect_text == "登录"
    assert [r.item for r in settings["software"].checks.software.required] == ["Office", "WPS Office", "Office", "browser"]
    assert settings["hardware"].checks.hardware.code_states == {28: "crit"}
