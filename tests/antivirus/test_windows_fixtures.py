"""Windows antivirus sources on recorded/constructed PowerShell outputs, one folder per case."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.antivirus import AntivirusCollector
from inventory.models import Host
from tests.antivirus.replay import run_case

CASES = sorted(p for p in (Path(__file__).parent / "fixtures" / "windows").iterdir() if p.is_dir())
HOST = Host(name="pc-1", local=True, os="windows")


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_windows_case(folder: Path) -> None:
    replay = run_case(AntivirusCollector(), folder, HOST)
    if folder.name.startswith("server_"):
        assert "security_center" not in replay.calls, "Security Center does not exist on Server editions"
