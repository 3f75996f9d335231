"""Get-MpComputerStatus as people recorded it on their own machines (fixtures/recorded/).

Each recording is turned into what Patrol's script prints (tests/support/recorded_windows.py:
the same values, JSON notation) and parsed by collectors/platforms/windows/defender.py.
SOURCES.md in that folder names where each one was published.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from collectors.antivirus import ProductState
from collectors.base import CommandOutput
from collectors.platforms.windows import defender
from tests.support.recorded_windows import json_value, recording_as_script_json

RECORDED = Path(__file__).parent / "fixtures" / "recorded"


def parsed(name: str):
    stdout = recording_as_script_json((RECORDED / name).read_text(encoding="utf-8"), defender.SCRIPT)
    [product] = defender.parse(CommandOutput(("powershell.exe",), 0, stdout, b""))
    return product


# file, state, mode, real-time, signatures updated (UTC), signature age, "never updated", last scan age, EDR fallback
CASES = [
    # The issue's own sample: EDR Block Mode (Defender beside another product) with a
    # 701-day-old quick scan; de-DE dates in the list view.
    ("defender-edr-block-de.txt", ProductState.PASSIVE, "EDR Block Mode", True,
     datetime(2021, 2, 25, 22, 37, 8, tzinfo=timezone.utc), 0.0, False, 701.0, True),
    # Defender stopped: every age is 4294967295 = unknown. That is the stopped engine, not
    # "signatures never updated": no signature or scan verdict is made (see below).
    ("defender-not-running-en.txt", ProductState.OFF, "Not running", False, None, None, False, None, False),
    ("defender-normal-en.txt", ProductState.ON, "Normal", True,
     datetime(2021, 8, 6, 8, 26, 13, tzinfo=timezone.utc), 0.0, False, 2.0, False),
    ("defender-normal-signatures-1168-days-en.txt", ProductState.ON, "Normal", True,
     datetime(2021, 11, 21, 10, 9, 40, tzinfo=timezone.utc), 1168.0, False, 0.0, False),
    # Windows Server 2016's first Defender platform (4.10.14393.0) has no AMRunningMode.
    ("defender-server2016-no-running-mode-en.txt", ProductState.ON, "Normal", True,
     datetime(2020, 9, 2, 11, 31, 51, tzinfo=timezone.utc), 1.0, False, 0.0, False),
    # fr-FR Windows Server 2022: AMRunningMode stays English; the published part ends at the
    # signature age, so real-time, update date and scans are not known.
    ("defender-server2022-fr-wmic-partial.txt", ProductState.ON, "Normal", None, None, 2.0, False, None, False),
    # zh-CN Windows 11 (dates 2025/10/16 15:07:36, yyyy/M/d): Defender alone, real-time off.
    ("defender-zh-cn-realtime-off.txt", ProductState.ON, "Normal", False,
     datetime(2025, 10, 16, 15, 7, 36, tzinfo=timezone.utc), 0.0, False, 0.0, False),
    # wmic's WMI datetimes (exact UTC); the published part ends before the real-time fields.
    ("defender-server2022-wmic-partial.txt", ProductState.ON, "Normal", None,
     datetime(2025, 3, 11, 1, 52, 18, tzinfo=timezone.utc), 0.0, False, None, False),
]


@pytest.mark.parametrize(("name", "state", "mode", "realtime", "updated", "age", "never", "scan_age", "edr"), CASES,
                         ids=[c[0] for c in CASES])
def test_recorded_get_mpcomputerstatus(name, state, mode, realtime, updated, age, never, scan_age, edr) -> None:
    product = parsed(name)
    assert (product.state, str(product.mode), product.realtime) == (state, mode, realtime)
    assert (product.signatures_updated, product.signature_age_days) == (updated, age)
    assert (product.signatures_missing is not None) is never
    assert product.last_scan_age_days == scan_age
    assert product.fallback_active is edr


def test_the_conversion_changes_notation_only() -> None:
    assert json_value("TRUE") is True and json_value("False") is False and json_value("") is None
    assert json_value("4294967295") == 4294967295 and json_value("1.423.336.0") == "1.423.336.0"
    # a WMI datetime is exact: 2025-03-11 01:52:18 UTC, and with a +60 minute offset one hour earlier
    assert json_value("20250311015218.000000+000") == "/Date(1741657938000)/"
    assert json_value("20250311025218.000000+060") == "/Date(1741657938000)/"
    assert json_value("25.02.2021 22:37:08") == "25.02.2021 22:37:08"


def test_a_stopped_engine_is_not_judged_on_its_unknown_ages() -> None:
    product = parsed("defender-not-running-en.txt")
    assert (product.signatures_checked, product.scan_known) == (False, False)
    assert "engine stopped" in product.details
    running = parsed("defender-normal-en.txt")
    assert (running.signatures_checked, running.scan_known) == (True, True)
