"""Windows antivirus sources on recorded/constructed PowerShell outputs, one folder per case."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.antivirus import AntivirusCollector
from collectors.base import CollectorIO
from inventory.models import Host
from tests.antivirus.replay import Replay, compare, load_expected, now_of

CASES = sorted(p for p in (Path(__file__).parent / "fixtures" / "windows").iterdir() if p.is_dir())
HOST = Host(name="pc-1", local=True, os="windows")


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_windows_case(folder: Path) -> None:
    expected = load_expected(folder)
    collector = AntivirusCollector()
    params = collector.params_model.model_validate(expected["params"])
    replay = Replay(folder)
    io = CollectorIO(run=replay, platform="windows")
    model = collector.parse(collector.fetch(HOST, params, io))
    results = list(collector.evaluate(model, params, HOST, now_of(expected)))
    compare(results, expected["results"], folder.name)
    if folder.name.startswith("server_"):
        assert "security_center" not in replay.calls, "Security Center does not exist on Server editions"


def test_every_case_documents_its_source() -> None:
    for folder in CASES:
        assert (folder / "SOURCE.md").read_text().strip(), folder.name
