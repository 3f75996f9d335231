from datetime import date, datetime, timezone

import pytest

from agent.reports.periods import PeriodError, last_month, last_quarter, parse_period

CASES = [
    ("2026-10", "month", date(2026, 10, 1), date(2026, 10, 31), "2026-09"),
    ("2026-01", "month", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
    ("2026-12", "month", date(2026, 12, 1), date(2026, 12, 31), "2026-11"),
    ("2026Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30), "2026Q2"),
    ("2026q1", "quarter", date(2026, 1, 1), date(2026, 3, 31), "2025Q4"),
    ("2026Q4", "quarter", date(2026, 10, 1), date(2026, 12, 31), "2026Q3"),
    ("2026-10-01..2026-10-15", "range", date(2026, 10, 1), date(2026, 10, 15), "2026-09-16..2026-09-30"),
]


@pytest.mark.parametrize("text,kind,first,last,previous", CASES, ids=[c[0] for c in CASES])
def test_periods_parse_with_their_previous_period(text, kind, first, last, previous):
    period = parse_period(text)
    assert (period.kind, period.first_day, period.last_day, period.previous().label) == (kind, first, last, previous)


BAD = ["2026-13", "2026Q5", "October", "2026-10-15..2026-10-01", "2026-02-30..2026-03-01", ""]


@pytest.mark.parametrize("text", BAD, ids=[b or "empty" for b in BAD])
def test_bad_periods_are_refused_with_the_accepted_forms(text):
    with pytest.raises(PeriodError, match="2026-10|end date|day is out of range|is not 01-12"):
        parse_period(text)


def test_boundaries_are_midnight_in_the_report_zone():
    period = parse_period("2026-10", "Asia/Shanghai")
    assert period.start == datetime(2026, 9, 30, 16, tzinfo=timezone.utc)
    assert period.end == datetime(2026, 10, 31, 16, tzinfo=timezone.utc)


@pytest.mark.parametrize("now,month,quarter", [
    (datetime(2026, 11, 1, 2, tzinfo=timezone.utc), "2026-10", "2026Q3"),
    (datetime(2026, 1, 1, 2, tzinfo=timezone.utc), "2025-12", "2025Q4"),
    (datetime(2026, 4, 15, 2, tzinfo=timezone.utc), "2026-03", "2026Q1"),
], ids=["november", "new-year", "mid-april"])
def test_last_month_and_quarter(now, month, quarter):
    assert last_month(now, "Asia/Shanghai").label == month
    assert last_quarter(now, "Asia/Shanghai").label == quarter
