"""How bad each printer-state-reason is, and what to call it in a summary.

Keywords are IPP ``printer-state-reasons`` (RFC 8011 section 5.4.12, PWG 5100.9 for the
supply ones, CUPS extensions ``cups-*``), plus a few Windows spooler conditions that IPP
has no word for (``user-intervention``, ``work-offline``, ...). A keyword may carry a
severity suffix (``toner-low-report``, ``media-empty-error``); the table is keyed by the
base keyword and the suffix decides only for keywords the table does not know.
"""

from __future__ import annotations

from collections.abc import Mapping

from collectors.base import State

OK, WARN, CRIT = State.OK, State.WARN, State.CRIT

REASONS: Mapping[str, tuple[State, str]] = {
    "media-empty": (CRIT, "out of paper"),
    "media-needed": (CRIT, "paper needed"),
    "media-jam": (CRIT, "paper jam"),
    "media-low": (WARN, "paper low"),
    "paper-problem": (CRIT, "paper problem"),
    "manual-feed": (WARN, "waiting for manual feed"),
    "toner-low": (WARN, "toner low"),
    "toner-empty": (CRIT, "out of toner"),
    "marker-supply-low": (WARN, "ink or toner low"),
    "marker-supply-empty": (CRIT, "ink or toner empty"),
    "marker-waste-almost-full": (WARN, "waste toner almost full"),
    "marker-waste-full": (CRIT, "waste toner full"),
    "developer-low": (WARN, "developer low"),
    "developer-empty": (CRIT, "developer empty"),
    "fuser-over-temp": (CRIT, "fuser over temperature"),
    "fuser-under-temp": (WARN, "fuser warming up"),
    "door-open": (CRIT, "door open"),
    "cover-open": (CRIT, "cover open"),
    "interlock-open": (CRIT, "interlock open"),
    "input-tray-missing": (CRIT, "input tray missing"),
    "output-tray-missing": (CRIT, "output tray missing"),
    "output-area-almost-full": (WARN, "output bin almost full"),
    "output-area-full": (CRIT, "output bin full"),
    "offline": (CRIT, "printer offline"),
    # The user's own switch: jobs wait, nothing is broken; WARN so it is noticed.
    "work-offline": (WARN, "set to 'Use Printer Offline'"),
    "not-available": (CRIT, "printer not available"),
    "shutdown": (CRIT, "printer shut down"),
    "timed-out": (CRIT, "printer timed out"),
    "connecting-to-device": (WARN, "connecting to the printer"),
    "paused": (CRIT, "queue paused"),
    "moving-to-paused": (WARN, "queue pausing"),
    "stopping": (WARN, "queue stopping"),
    "stopped-partly": (WARN, "printer partly stopped"),
    "spool-area-full": (CRIT, "spool area full"),
    "user-intervention": (CRIT, "needs user intervention"),
    "out-of-memory": (CRIT, "printer out of memory"),
    "page-punt": (WARN, "printer cannot print a page"),
    "pending-deletion": (WARN, "queue being deleted"),
    "server-unknown": (WARN, "print server state unknown"),
    "printer-error": (CRIT, "printer reports an error"),
    "cups-missing-filter": (CRIT, "no filter for the document format (driver problem)"),
    "cups-insecure-filter": (WARN, "insecure filter (driver problem)"),
    "cups-waiting-for-job-completed": (OK, "finishing a job"),
    "other": (WARN, "other printer condition"),
}

_SUFFIX_STATE = {"-error": CRIT, "-warning": WARN, "-report": OK}


def split_suffix(keyword: str) -> tuple[str, str]:
    """``("toner-low", "-report")`` for ``toner-low-report``; suffix "" when there is none."""
    for suffix in _SUFFIX_STATE:
        if keyword.endswith(suffix):
            return keyword[: -len(suffix)], suffix
    return keyword, ""


def classify(keyword: str, overrides: Mapping[str, State] | None = None) -> tuple[State, str]:
    """The state and a readable phrase for one keyword; ``overrides`` (from config) win."""
    base, suffix = split_suffix(keyword)
    overrides = overrides or {}
    for key in (keyword, base):
        if key in overrides:
            return overrides[key], REASONS.get(base, (OK, keyword))[1]
    if base in REASONS:
        return REASONS[base]
    return _SUFFIX_STATE.get(suffix, WARN), keyword
