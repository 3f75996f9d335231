"""The known-products table (Windows Server) and Defender's "unknown" ages, on small outputs."""

from __future__ import annotations

import json

import pytest

from collectors.antivirus import ProductState
from collectors.base import CommandOutput, ParseError
from collectors.platforms.windows import av_known, defender


def out(obj: object) -> CommandOutput:
    return CommandOutput(("powershell.exe",), 0, json.dumps(obj, ensure_ascii=False).encode(), b"")


def test_each_product_is_found_by_its_own_processes_only() -> None:
    found = av_known.parse(av_known.KnownSample(out({"Services": None, "Processes": "kxetray"})))
    assert [(p.name, p.state) for p in found] == [("金山毒霸 (Kingsoft)", ProductState.ON)]
    assert found[0].signatures_checked is False  # no age from processes: not judged, not invented


def test_wildcard_service_and_stopped_service() -> None:
    found = av_known.parse(av_known.KnownSample(out({"Services": [{"Name": "AVP21.3", "Status": 1}], "Processes": []})))
    assert [(p.name, p.state, str(p.mode)) for p in found] == [
        ("Kaspersky", ProductState.OFF, "installed but not running (AVP21.3 stopped)")]


def test_a_configured_product_is_not_found_twice() -> None:
    sample = av_known.KnownSample(out({"Services": [{"Name": "mfemms", "Status": 4}], "Processes": ["mfemms"]}),
                                  configured_services=("mfemms",))
    assert av_known.parse(sample) == ()


def test_nothing_found_and_broken_output() -> None:
    assert av_known.parse(av_known.KnownSample(out({"Services": [], "Processes": []}))) == ()
    assert av_known.parse(None) == ()
    with pytest.raises(ParseError, match="Processes is not a list of names"):
        av_known.parse(av_known.KnownSample(out({"Services": [], "Processes": [1, 2]})))


def test_the_script_asks_for_every_table_entry() -> None:
    script = av_known.script()
    for product in av_known.KNOWN_PRODUCTS:
        assert all(f"'{p}'" in script for p in product.processes)


@pytest.mark.parametrize("age", [65535, 4294967295])
def test_unknown_ages_are_never_days(age: int) -> None:
    [p] = defender.parse(out({"AMRunningMode": "Normal", "AMServiceEnabled": True, "AntivirusEnabled": True,
                              "RealTimeProtectionEnabled": True, "AntivirusSignatureAge": age,
                              "AntivirusSignatureLastUpdated": None, "QuickScanAge": age, "FullScanAge": 4294967295}))
    assert p.signature_age_days is None
    assert str(p.signatures_missing) == f"signatures never updated (AntivirusSignatureAge {age}: unknown or never)"
    assert p.scan_known and p.last_scan_age_days is None  # "never scanned"


def test_filetime_zero_date_is_never() -> None:
    [p] = defender.parse(out({"AMRunningMode": "Normal", "AntivirusEnabled": True, "AMServiceEnabled": True,
                              "AntivirusSignatureAge": 65535,
                              "AntivirusSignatureLastUpdated": "/Date(-11644473600000)/"}))
    assert p.signatures_updated is None and p.signatures_missing is not None
