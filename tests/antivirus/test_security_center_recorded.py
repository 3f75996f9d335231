"""Security Center productState values recorded on real machines, decoded.

productState is undocumented (Microsoft shares it under NDA). These values were published
from real endpoints (see fixtures/recorded/SOURCES.md, "productState"): the Stack Overflow
list gathered from 34 products on over 10000 endpoints, Windows Defender's 397568 from an
author's own machine, and Symantec Endpoint Protection's 462848 from a published WMI log.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collectors.antivirus import ProductState
from collectors.base import CommandOutput
from collectors.platforms.windows.security_center import decode_product_state, parse

ON, OFF, SNOOZED, UNKNOWN = ProductState.ON, ProductState.OFF, ProductState.SNOOZED, ProductState.UNKNOWN
THIRD, MS = "third party", "Microsoft"

# value: (scanner state, owner, signatures out of date)
RECORDED_VALUES = {
    262144: (OFF, THIRD, False), 262160: (OFF, THIRD, True), 266240: (ON, THIRD, False),
    270336: (SNOOZED, THIRD, False), 327680: (OFF, THIRD, False), 327696: (OFF, THIRD, True),
    331776: (ON, THIRD, False),
    # 0x054000: scanner nibble 4 is in no published decode; seen in the field, so it must
    # read as "state not known", never as on or off.
    344064: (UNKNOWN, THIRD, False),
    393216: (OFF, THIRD, False), 393232: (OFF, THIRD, True), 393472: (OFF, MS, False), 393488: (OFF, MS, True),
    397312: (ON, THIRD, False), 397328: (ON, THIRD, True), 397568: (ON, MS, False), 397584: (ON, MS, True),
    462848: (ON, THIRD, False),
}


@pytest.mark.parametrize("value", sorted(RECORDED_VALUES), ids=lambda v: f"{v}=0x{v:06X}")
def test_recorded_product_states(value: int) -> None:
    decoded = decode_product_state(value)
    assert (decoded.state, decoded.owner, decoded.signatures_out_of_date) == RECORDED_VALUES[value]


def test_two_recorded_products_in_one_answer() -> None:
    """Two recorded values in one answer, as ConvertTo-Json prints several products."""
    answer = [{"displayName": "Windows Defender", "productState": 397568, "pathToSignedProductExe": "windowsdefender://",
               "timestamp": None},
              {"displayName": "Symantec Endpoint Protection", "productState": 462848,
               "pathToSignedProductExe": "C:\\Program Files (x86)\\Symantec\\Symantec Endpoint Protection\\WSCSavNotifier.exe",
               "timestamp": None}]
    defender, sep = parse(CommandOutput(("powershell.exe",), 0, json.dumps(answer).encode(), b""))
    assert (defender.key, defender.state, defender.owner) == ("microsoft-defender", ON, MS)
    assert (sep.state, sep.owner, sep.signatures_out_of_date) == (ON, THIRD, False)


def test_recorded_zh_cn_security_center_list() -> None:
    """A zh-CN Windows 11's own Security Center answer (fixtures/recorded/SOURCES.md): the
    Chinese display name comes through and Defender is recognised by its English name."""
    from collectors.platforms.windows.security_center import SCRIPT
    from tests.support.recorded_windows import recording_as_script_json

    text = (Path(__file__).parent / "fixtures" / "recorded" / "security-center-zh-cn-huorong.txt").read_text(encoding="utf-8")
    defender, huorong = parse(CommandOutput(("powershell.exe",), 0, recording_as_script_json(text, SCRIPT), b""))
    assert (defender.key, defender.state, defender.owner) == ("microsoft-defender", OFF, MS)
    assert (huorong.name, huorong.state, huorong.owner, huorong.signatures_out_of_date) == ("火绒安全软件", ON, THIRD, False)
    assert "Mon, 16 Oct 2023 10:53:44 GMT" in huorong.details
