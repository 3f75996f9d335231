"""Device leases on a real PostgreSQL: claims never overlap, expire, and keep each device's grid."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from agent.serve.leases import CarriedPollState, Claim, Leases, LeaseSchedule, Share, device_leases, next_due

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def replica(engine, name: str, clock: Clock, site: str = "hq") -> Leases:
    return Leases(engine, site, name, lease_s=30, clock=clock)


@pytest.mark.parametrize(("due_s", "claimed_s", "expected_s"), [
    (0, 0, 60), (0, 30, 60),       # on time or up to half an interval late: the next slot of the grid
    (0, -20, 60),                  # claimed early: still the next slot
    (0, 31, 91),                   # later (a takeover): a new grid from the claim, never two polls 29 s apart
    (0, 130, 190),                 # slots missed while every replica was down: skipped, not caught up
], ids=["on-time", "half-late", "early", "late-takeover", "missed-slots"])
def test_next_due_keeps_the_grid_unless_half_an_interval_late(due_s, claimed_s, expected_s):
    at = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    assert next_due(at(due_s), at(claimed_s), 60) == at(expected_s)


def test_concurrent_claims_never_overlap(engine):
    clock = Clock()
    names = [f"sw{i:03d}" for i in range(300)]
    replica(engine, "setup", clock).sync("switch", names)
    claimed: dict[str, list[str]] = {}

    def worker(name: str) -> None:
        leases = replica(engine, name, clock)
        mine = claimed.setdefault(name, [])
        while batch := leases.claim("switch", 7):
            mine.extend(c.target for c in batch)

    threads = [threading.Thread(target=worker, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [t for got in claimed.values() for t in got]
    assert sorted(everything) == names  # each device claimed exactly once
    assert sum(1 for got in claimed.values() if got) >= 2  # SKIP LOCKED let the replicas work side by side


def test_an_expired_claim_is_taken_over_and_the_late_complete_is_refused(engine):
    clock = Clock()
    a, b = replica(engine, "a", clock), replica(engine, "b", clock)
    a.sync("switch", ["sw1", "sw2"])
    held = a.claim("switch", 10)
    assert [c.target for c in held] == ["sw1", "sw2"]
    assert b.claim("switch", 10) == []  # held and fresh
    clock.now += timedelta(seconds=20)
    assert a.heartbeat("switch", ["sw1"]) == 1  # sw1 renewed to T0+50 s; sw2 still ends at T0+30 s
    clock.now += timedelta(seconds=15)
    taken = b.claim("switch", 10)
    assert [c.target for c in taken] == ["sw2"]  # a died holding sw2: b takes it over
    assert a.complete("switch", held, 60) == 1  # a's late complete of sw2 is not applied
    assert b.complete("switch", taken, 60) == 1
    with engine.connect() as conn:
        rows = {r.target: r for r in conn.execute(device_leases.select())}
    assert rows["sw2"].last_owner == "b" and rows["sw1"].last_owner == "a"
    assert rows["sw1"].due_at == T0 + timedelta(seconds=60)
    assert rows["sw2"].due_at == T0 + timedelta(seconds=35 + 60)  # taken over 35 s late: a grid from the takeover
    assert rows["sw1"].owner is None and rows["sw2"].owner is None


def test_due_rows_only_and_sync_follows_the_inventory(engine):
    clock = Clock()
    a = replica(engine, "a", clock)
    a.sync("switch", ["sw1", "sw2"])
    a.complete("switch", a.claim("switch", 10), 60)
    clock.now += timedelta(seconds=20)
    assert a.claim("switch", 10) == []  # next due at T0+60 s
    assert [c.target for c in a.claim("switch", 10, horizon_s=45)] == ["sw1", "sw2"]  # within the horizon
    assert a.next_free_due_s("switch") is None  # both held
    a.release("switch", ["sw1", "sw2"])
    assert a.next_free_due_s("switch") == 40
    a.sync("switch", ["sw2", "sw3"])  # sw1 left the inventory, sw3 joined (due now)
    got = a.claim("switch", 10)
    assert [c.target for c in got] == ["sw3"]
    other_site = replica(engine, "a", clock, site="branch")
    assert other_site.claim("switch", 10) == []  # sites never see each other's devices


FIVE_MIN = "*/5 * * * *"


@pytest.mark.parametrize(("cron", "tz", "due", "claimed", "expected"), [
    (FIVE_MIN, "UTC", "08:00:00", "08:00:03", "08:05:00"),        # on time: the next fire
    (FIVE_MIN, "UTC", "08:00:00", "07:59:58", "08:05:00"),        # claimed a moment early: still the next fire
    (FIVE_MIN, "UTC", "08:00:00", "08:01:00", "08:05:00"),        # late, 4 min before the next fire: kept
    (FIVE_MIN, "UTC", "08:00:00", "08:03:00", "08:10:00"),        # a takeover 2 min before the next fire: skipped
    (FIVE_MIN, "UTC", "08:00:00", "08:21:00", "08:25:00"),        # fires missed (all replicas down): not caught up
    (FIVE_MIN, "UTC", "08:00:00", "08:24:00", "08:30:00"),        # ... nor polled again a minute later
    ("0 8 * * 1-5", "UTC", "08:00:00", "08:00:01", "+3d 08:00:00"),  # 2026-12-04 is a Friday: Monday (crontab's 1-5)
    ("0 8 * * *", "Asia/Shanghai", "00:00:00", "00:00:02", "+1d 00:00:00"),  # 08:00 in Shanghai = 00:00 UTC
], ids=["on-time", "early", "late-kept", "late-skips", "missed", "missed-close", "weekdays", "local-time"])
def test_cron_families_are_next_due_at_the_next_fire(cron, tz, due, claimed, expected):
    day = datetime(2026, 12, 4, tzinfo=timezone.utc)

    def at(text: str) -> datetime:
        days, _, clock = text.rpartition(" ")
        h, m, s = (int(x) for x in clock.split(":"))
        return day + timedelta(days=int(days[1:-1]) if days else 0, hours=h, minutes=m, seconds=s)

    assert LeaseSchedule(300, cron, tz).next_due(at(due), at(claimed)) == at(expected)


def test_a_cron_family_is_claimed_at_its_fires_not_every_interval(engine):
    clock = Clock(datetime(2026, 12, 4, 8, 0, 1, tzinfo=timezone.utc))  # a Friday, a second after the fire
    nightly = LeaseSchedule(300, "30 2 * * *", "UTC")                   # interval_s 300 is ignored
    a = replica(engine, "a", clock)
    a.sync("netconfig", ["sw1", "sw2"])
    assert a.complete("netconfig", a.claim("netconfig", 10), nightly) == 2
    next_fire = datetime(2026, 12, 5, 2, 30, tzinfo=timezone.utc)
    with engine.connect() as conn:
        assert {r.due_at for r in conn.execute(device_leases.select())} == {next_fire}
    clock.now += timedelta(seconds=300)
    assert a.claim("netconfig", 10) == []                 # not due an interval later
    assert a.next_free_due_s("netconfig") == (next_fire - clock.now).total_seconds()
    assert nightly.window_s(clock.now) == 300             # a worker never waits past its interval ...
    assert LeaseSchedule(300, "*/2 * * * *", "UTC").window_s(clock.now) == 59  # ... nor past the next fire (08:06)
    clock.now = next_fire
    assert [c.target for c in a.claim("netconfig", 10)] == ["sw1", "sw2"]


def claim_all(replicas: list[Leases], family: str = "switch", step: int = 7) -> dict[str, list[Claim]]:
    """Every replica claims in steps of ``step``, at the same time, until it gets nothing."""
    got: dict[str, list[Claim]] = {r.owner: [] for r in replicas}

    def worker(leases: Leases) -> None:
        while batch := leases.claim(family, step):
            got[leases.owner].extend(batch)

    threads = [threading.Thread(target=worker, args=(r,)) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


def test_live_replicas_claim_fair_shares_and_a_dead_ones_share_goes_to_the_others(engine):
    clock = Clock()
    a, b, c = (replica(engine, n, clock) for n in "abc")
    names = [f"sw{i:03d}" for i in range(300)]
    a.sync("switch", names)
    for r in (a, b, c):
        r.beat()
    assert a.live_replicas() == ["a", "b", "c"]
    got = claim_all([a, b, c])
    assert {n: len(cl) for n, cl in got.items()} == {"a": 100, "b": 100, "c": 100}  # not first come, all served
    assert sorted(cl.target for cls in got.values() for cl in cls) == names
    for r in (a, b):
        assert r.complete("switch", got[r.owner], 60) == 100
    # c dies holding its 100 claims: no beat, no complete. Its claims expire after lease_s (30 s),
    # its row is stale after lease_s too: a and b take its devices over, 50 each.
    clock.now += timedelta(seconds=31)
    for r in (a, b):
        r.beat()
    assert a.live_replicas() == ["a", "b"]
    assert a.share("switch") == Share(live=2, total=300, mine=100, quota=150)
    taken = claim_all([a, b])
    assert {n: len(cl) for n, cl in taken.items()} == {"a": 50, "b": 50}
    assert sorted(cl.target for cls in taken.values() for cl in cls) == sorted(cl.target for cl in got["c"])
    # The next round: every device due again (a's and b's own since T0+60 s, c's taken over
    # late on a new grid at T0+91 s), two replicas, 150 each.
    for r in (a, b):
        r.complete("switch", taken[r.owner], 60)
    clock.now = T0 + timedelta(seconds=91)
    for r in (a, b):
        r.beat()
    assert {n: len(cl) for n, cl in claim_all([a, b]).items()} == {"a": 150, "b": 150}


def test_beyond_its_share_a_replica_takes_only_what_is_left_overdue_by_twice_lease_s(engine):
    clock = Clock()
    a, b = replica(engine, "a", clock), replica(engine, "b", clock)
    a.sync("switch", [f"sw{i}" for i in range(10)])
    a.beat()
    b.beat()  # b is alive but its worker claims nothing (stuck, or started without devices)
    mine = a.claim("switch", 10)
    assert len(mine) == 5  # its share of two
    assert a.claim("switch", 10) == []
    a.complete("switch", mine, 600)  # polled: a's until due again
    assert a.next_free_due_s("switch") == 60  # no room: b's half is a's only once 2 x lease_s overdue
    assert b.next_free_due_s("switch") == 0  # b has room: due now
    clock.now += timedelta(seconds=59)
    a.beat()
    b.beat()
    assert a.claim("switch", 10) == []
    clock.now += timedelta(seconds=2)
    assert len(a.claim("switch", 10)) == 5  # left by b for more than 2 x lease_s: taken


def test_a_replica_that_leaves_gives_its_share_back_at_once(engine):
    clock = Clock()
    a, b = replica(engine, "a", clock), replica(engine, "b", clock)
    a.sync("switch", [f"sw{i}" for i in range(10)])
    a.beat()
    b.beat()
    b.leave()  # a clean stop
    assert a.live_replicas() == ["a"] and len(a.claim("switch", 20)) == 10


def test_the_poll_state_travels_with_the_device(engine):
    clock = Clock()
    a = Leases(engine, "hq", "a", lease_s=30, clock=clock, carried=CarriedPollState())
    b = Leases(engine, "hq", "b", lease_s=30, clock=clock, carried=CarriedPollState())
    a.sync("switch", ["sw1", "sw2"])
    held = a.claim("switch", 10)
    assert a.carried("switch").load("sw1") is None  # never polled
    a.carried("switch").save("sw1", {"at": 1.0, "ports": {"1": {"c": [1, 2, 3, 4, 5, 6]}}})
    assert a.complete("switch", held, 60) == 2  # sw2's poll saved nothing (unreachable): stays NULL
    clock.now += timedelta(seconds=60)
    b.beat()
    taken = b.claim("switch", 10)  # a is not alive: b takes both
    assert [c.target for c in taken] == ["sw1", "sw2"]
    assert b.carried("switch").load("sw1") == {"at": 1.0, "ports": {"1": {"c": [1, 2, 3, 4, 5, 6]}}}
    assert b.carried("switch").load("sw2") is None
    b.carried("switch").save("sw1", {"at": 61.0})
    b.complete("switch", taken, 60)
    with engine.connect() as conn:
        rows = {r.target: r.poll_state for r in conn.execute(device_leases.select())}
    assert rows == {"sw1": '{"at":61.0}', "sw2": None}
    # a confirmation re-check reads it without claiming
    assert a.poll_states("switch", ["sw1", "sw2", "gone"]) == {"sw1": '{"at":61.0}', "sw2": None}
    assert b.carried.take("switch", ["sw1", "sw2"]) == {}  # handed to the rows, nothing kept in memory


def test_a_poll_that_saved_no_state_leaves_the_previous_one(engine):
    """An unreachable device's poll saves nothing: the next poll still has the last counters."""
    clock = Clock()
    a = Leases(engine, "hq", "a", lease_s=30, clock=clock, carried=CarriedPollState())
    a.sync("switch", ["sw1"])
    held = a.claim("switch", 10)
    a.carried("switch").save("sw1", {"at": 1.0})
    assert a.complete("switch", held, 60) == 1
    clock.now += timedelta(seconds=60)
    held = a.claim("switch", 10)
    assert [c.target for c in held] == ["sw1"]
    assert a.complete("switch", held, 60) == 1  # this poll saved nothing
    assert a.poll_states("switch", ["sw1"]) == {"sw1": '{"at":1.0}'}
