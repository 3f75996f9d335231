"""Results -> findings: stable fingerprint, debounce, flap detection.

A *finding* is one episode of a problem on (site, target, check, item):

    (no finding) --non-OK--> pending --N non-OK in a row--> open --M OK in a row--> resolved
                                |                                  \\
                                +--M OK in a row--> discarded        +-- severity changes: worsened / improved

N and M are ``open_after`` / ``resolve_after`` of the check family (config/checks/base.py
FindingPolicy). A streak made only of UNKNOWN results ("could not check") needs
``open_after x unknown_open_factor`` results: a flaky SNMP poll should not page anyone,
a check that stays blind for long should.

Flapping: each OK<->non-OK change is remembered for ``flap_window_s``; with
``flap_threshold`` changes in the window the finding is *flapping*. A flapping pending
finding opens (it never reaches N in a row, yet it is a real problem), and a flapping open
finding does not resolve until it has calmed down, so it keeps its one ticket instead of
opening and closing one per change.

The tracker is pure state: it sees results and returns events; what becomes a ticket is
the engine's business (agent/ticketing/engine.py). The hot path (an OK result with no
finding) is one dict lookup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from collectors.base import CheckResult, State

_RANK = {State.OK: 0, State.WARN: 1, State.UNKNOWN: 2, State.CRIT: 3}  # State.worst() order


def fingerprint(site: str, target: str, check: str, item: str) -> str:
    """Stable id of (site, target, check, item): the same on every host and after a reinstall.

    Only names go in (never a path, host id or time), joined with a separator that cannot
    occur in them, so ("a", "b.c") and ("a.b", "c") differ.
    """
    raw = "\x1f".join((site, target, check, item)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Policy:
    open_after: int = 2
    resolve_after: int = 2


@dataclass(slots=True, eq=False)  # identity, not field-by-field: records are live objects
class FindingRecord:
    """The live state of one episode (mutable; the tracker owns it)."""

    fingerprint: str
    site: str
    target: str
    check: str
    item: str
    status: str  # pending | open | resolved
    severity: State
    worst: State
    summary: str
    details: str
    first_seen: datetime
    last_seen: datetime
    bad_count: int = 0
    ok_count: int = 0
    ok_since: datetime | None = None
    streak_known: bool = False  # a WARN/CRIT (not only UNKNOWN) in the current bad streak
    flapping: bool = False
    transitions: list[datetime] = field(default_factory=list)
    opened_at: datetime | None = None
    resolved_at: datetime | None = None
    held_reason: str | None = None
    ticket_fp: str | None = None
    last_comment_at: datetime | None = None
    pending_note: str | None = None
    id: int | None = None
    dirty: bool = True

    @property
    def title(self) -> str:
        where = f"{self.check} [{self.item}]" if self.item else self.check
        return f"{where} on {self.target}"

    @property
    def evidence(self) -> str:
        return self.summary + (f"\n{self.details}" if self.details else "")


@dataclass(frozen=True, slots=True)
class FindingEvent:
    """Something that happened to a finding in this cycle.

    kind: opened | worsened | improved | flapping | resolved | discarded, and "stale" (made
    by the service when nothing reported on the finding for ``stale_after_s``)
    """

    kind: str
    record: FindingRecord
    previous: State | None = None
    result: CheckResult | None = None


class FindingTracker:
    """Turns results into finding events; keeps only non-trivial episodes in memory."""

    def __init__(self, site: str, policy_for: Callable[[str], Policy], *, ticket_unknown: bool = True,
                 unknown_open_factor: int = 3, flap_window_s: float = 3600, flap_threshold: int = 5):
        self.site = site
        self._policy_for = policy_for
        self.ticket_unknown = ticket_unknown
        self.unknown_open_factor = unknown_open_factor
        self.flap_window = timedelta(seconds=flap_window_s)
        self.flap_threshold = flap_threshold
        self.active: dict[str, FindingRecord] = {}
        self.finished: list[FindingRecord] = []  # resolved or discarded since the last flush
        self._fingerprints: dict[tuple[str, str, str], str] = {}
        self._policies: dict[str, Policy] = {}

    def load(self, records: Iterable[FindingRecord]) -> None:
        self.active = {r.fingerprint: r for r in records}

    def fingerprint_of(self, target: str, check: str, item: str) -> str:
        key = (target, check, item)
        fp = self._fingerprints.get(key)
        if fp is None:
            fp = self._fingerprints[key] = fingerprint(self.site, target, check, item)
        return fp

    def policy(self, check: str) -> Policy:
        policy = self._policies.get(check)
        if policy is None:
            policy = self._policies[check] = self._policy_for(check)
        return policy

    def observe(self, result: CheckResult) -> FindingEvent | None:
        state = result.state
        if state is State.UNKNOWN and not self.ticket_unknown:
            return None  # "could not check" is not a problem by configuration: no information
        fp = self.fingerprint_of(result.target, result.check, result.item)
        record = self.active.get(fp)
        if record is None:
            if state is State.OK:
                return None  # the hot path: nothing was wrong, nothing is
            record = FindingRecord(fp, self.site, result.target, result.check, result.item, "pending", state, state,
                                   result.summary, result.details, result.observed_at, result.observed_at)
            self.active[fp] = record
        if state is State.OK:
            return self._ok(record, result)
        return self._bad(record, result)

    def _note_transition(self, record: FindingRecord, now: datetime) -> None:
        record.transitions.append(now)
        self._refresh_flapping(record, now)

    def _refresh_flapping(self, record: FindingRecord, now: datetime) -> None:
        horizon = now - self.flap_window
        if record.transitions and record.transitions[0] < horizon:
            record.transitions = [t for t in record.transitions if t >= horizon]
        record.flapping = len(record.transitions) >= self.flap_threshold

    def _bad(self, record: FindingRecord, result: CheckResult) -> FindingEvent | None:
        now, state = result.observed_at, result.state
        record.dirty = True
        was_flapping = record.flapping
        if record.ok_count > 0:
            self._note_transition(record, now)
        record.ok_count, record.ok_since = 0, None
        record.bad_count += 1
        if state is not State.UNKNOWN:
            record.streak_known = True
        previous = record.severity
        record.severity, record.summary, record.details, record.last_seen = state, result.summary, result.details, now
        if _RANK[state] > _RANK[record.worst]:
            record.worst = state
        self._refresh_flapping(record, now)
        if record.status == "pending":
            needed = self.policy(record.check).open_after
            if not record.streak_known:
                needed *= self.unknown_open_factor
            if record.bad_count >= needed or record.flapping:
                record.status, record.opened_at = "open", now
                return FindingEvent("opened", record, None, result)
            return None
        if record.flapping and not was_flapping:
            return FindingEvent("flapping", record, previous, result)
        if state is not previous:
            kind = "worsened" if _RANK[state] > _RANK[previous] else "improved"
            return FindingEvent(kind, record, previous, result)
        return None

    def _ok(self, record: FindingRecord, result: CheckResult) -> FindingEvent | None:
        now = result.observed_at
        record.dirty = True
        was_flapping = record.flapping
        if record.ok_count == 0:
            record.ok_since = now
            self._note_transition(record, now)
        else:
            self._refresh_flapping(record, now)
        record.ok_count += 1
        record.bad_count, record.streak_known = 0, False
        if record.flapping and not was_flapping and record.status == "open":
            return FindingEvent("flapping", record, record.severity, result)
        if record.ok_count < self.policy(record.check).resolve_after or record.flapping:
            return None
        del self.active[record.fingerprint]
        self.finished.append(record)
        if record.status == "pending":
            record.status = "discarded"
            return FindingEvent("discarded", record, None, result)
        record.status, record.resolved_at = "resolved", now
        return FindingEvent("resolved", record, record.severity, result)

    def close(self, fp: str, now: datetime) -> FindingRecord | None:
        """End an episode by hand (an engineer resolved its ticket): a new one starts if it fails again."""
        record = self.active.pop(fp, None)
        if record is not None:
            record.status, record.resolved_at, record.dirty = "resolved", now, True
            self.finished.append(record)
        return record

    def take_dirty(self) -> tuple[list[FindingRecord], list[FindingRecord]]:
        """(changed live records, finished records) since the last call."""
        changed = [r for r in self.active.values() if r.dirty]
        finished, self.finished = self.finished, []
        for record in changed:
            record.dirty = False
        return changed, finished
