"""Dates as PowerShell prints them, in every form the parsers meet."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from collectors.base import ParseError
from collectors.platforms.windows.powershell import parse_ps_date

UTC = timezone.utc


@pytest.mark.parametrize("value,expected", [
    ("/Date(1700000000000)/", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ("/Date(1700000000000+0100)/", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ({"value": "/Date(1700000000000)/", "DisplayHint": 2, "DateTime": "Tuesday, November 14, 2023 10:13:20 PM"},
     datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ("2023-11-14T22:13:20.0000000+00:00", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ("2023-11-14T23:13:20+01:00", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ("2023-11-14T22:13:20Z", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ("22.11.2026 10:00:00", datetime(2026, 11, 22, 10, 0, tzinfo=UTC)),
    ("2026/11/22 10:00:00", datetime(2026, 11, 22, 10, 0, tzinfo=UTC)),
    ("11/22/2026 10:00:00 AM", datetime(2026, 11, 22, 10, 0, tzinfo=UTC)),
    ("Sun, 22 Nov 2026 08:41:12 GMT", datetime(2026, 11, 22, 8, 41, 12, tzinfo=UTC)),
    (None, None), ("", None),
    ("/Date(-11644473600000)/", None),  # FILETIME 0 = 1601-01-01: never
], ids=["ps51-ms", "ps51-ms-offset", "ps51-ets-object", "ps7-iso", "iso-offset", "iso-z", "de-DE", "zh-CN", "en-US",
        "rfc1123", "null", "empty", "filetime-zero"])
def test_dates(value, expected) -> None:
    assert parse_ps_date(value, "test") == expected


@pytest.mark.parametrize("value", ["yesterday", 17, ["/Date(1)/"], "31.02.2026 10:00:00"],
                         ids=["word", "number", "list", "impossible-day"])
def test_bad_dates(value) -> None:
    with pytest.raises(ParseError, match="test"):
        parse_ps_date(value, "test")
