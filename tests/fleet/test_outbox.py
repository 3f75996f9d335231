"""The push outbox (agent/run/outbox.py): order, seq numbering across restarts, bounds and drop counting."""

from __future__ import annotations

import logging
import multiprocessing

import pytest

from agent.run.outbox import Outbox, split_runs

MB = 2**20


class Clock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def run(n: int, text: str = "ok", collector: str = "system") -> dict:
    return {"collector": collector, "started_at": "2026-12-06T05:00:00+00:00", "duration_s": 0.1, "error": None,
            "results": [{"check": "system.disk", "item": f"/d{i}", "state": "OK", "summary": text,
                         "observed_at": "2026-12-06T05:00:00+00:00"} for i in range(n)]}


def open_outbox(tmp_path, clock, max_bytes=64 * MB, max_age_s=168 * 3600.0) -> Outbox:
    return Outbox(tmp_path / "fleet" / "outbox.sqlite", max_bytes=max_bytes, max_age_s=max_age_s, clock=clock)


def test_batches_come_out_oldest_first_with_increasing_seqs(tmp_path):
    clock = Clock()
    with open_outbox(tmp_path, clock) as box:
        a = box.add([run(2)], 100)
        b = box.add([run(3)], 100)
        assert a[0] == int(clock.now * 1000)  # a fresh outbox starts at Unix time in ms (see the module doc)
        assert b == [a[0] + 1]
        first = box.oldest()
        assert first.seq == a[0] and first.results == 2 and len(first.batch_id) == 32
        assert first.runs() == [run(2)]
        box.delivered(first.seq, 0)
        assert box.oldest().seq == b[0]
        assert box.stats().pending == 1 and box.stats().last_success == clock.now


def test_seq_survives_a_restart_and_is_never_reused(tmp_path):
    clock = Clock()
    with open_outbox(tmp_path, clock) as box:
        (s1,) = box.add([run(1)], 100)
        box.delivered(s1, 0)
    clock.now -= 3600  # even with the clock set back an hour
    with open_outbox(tmp_path, clock) as box:
        (s2,) = box.add([run(1)], 100)
    assert s2 == s1 + 1


def _add_many(path: str, n: int) -> None:
    from pathlib import Path

    with Outbox(Path(path), max_bytes=64 * MB, max_age_s=3600.0) as box:
        for _ in range(n):
            box.add([run(1)], 100)


def test_two_processes_adding_at_once_never_share_a_seq(tmp_path):
    path = tmp_path / "outbox.sqlite"
    Outbox(path, max_bytes=MB, max_age_s=3600).close()
    procs = [multiprocessing.get_context("spawn").Process(target=_add_many, args=(str(path), 40)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with Outbox(path, max_bytes=64 * MB, max_age_s=3600.0) as box:
        seqs = [r[0] for r in box.db.execute("SELECT seq FROM batches ORDER BY seq")]
    assert len(seqs) == 80 and len(set(seqs)) == 80 and seqs == list(range(seqs[0], seqs[0] + 80))


def test_a_large_cycle_is_split_into_batches_of_whole_runs(tmp_path):
    with open_outbox(tmp_path, Clock()) as box:
        seqs = box.add([run(3), run(3), run(5), run(2)], 6)
        sizes = [r[0] for r in box.db.execute("SELECT results FROM batches ORDER BY seq")]
    assert len(seqs) == 3 and sizes == [6, 5, 2]
    assert split_runs([run(10)], 4) == [[run(10)]]  # a run is never cut


def test_age_bound_drops_the_oldest_and_counts_them(tmp_path, caplog):
    clock = Clock()
    with open_outbox(tmp_path, clock, max_age_s=3600) as box:
        box.add([run(2)], 100)
        clock.now += 1800
        box.add([run(3)], 100)
        clock.now += 1900  # the first is now 3700 s old
        with caplog.at_level(logging.WARNING):
            box.add([run(1)], 100)
        assert [r[0] for r in box.db.execute("SELECT results FROM batches ORDER BY seq")] == [3, 1]
        assert box.dropped_unreported() == 2 and box.stats().dropped_total == 2
        assert sum("push outbox full" in r.message for r in caplog.records) == 1


def test_size_bound_drops_oldest_first_logging_once_per_episode(tmp_path, caplog):
    clock = Clock()
    with open_outbox(tmp_path, clock, max_bytes=4000) as box:
        with caplog.at_level(logging.WARNING):
            for i in range(12):  # each ~1 KB gzip'd (random-looking text does not compress)
                box.add([run(4, text=f"{i}-" + "".join(chr(0x4e00 + (i * 37 + k * 11) % 2000) for k in range(300)))], 100)
                clock.now += 1
        stats = box.stats()
        assert stats.size <= 4000
        seqs = [r[0] for r in box.db.execute("SELECT seq FROM batches ORDER BY seq")]
        assert seqs[-1] == int(1_700_000_000.0 * 1000) + 11  # the newest kept, the oldest gone
        dropped = box.dropped_unreported()
        assert dropped == 4 * (12 - len(seqs)) and dropped > 0
        assert sum("push outbox full" in r.message for r in caplog.records) == 1
        # A success ends the episode; the drops it reported are subtracted, later ones stay.
        box.delivered(seqs[0], dropped)
        assert box.dropped_unreported() == 0 and box.stats().dropped_total == dropped
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            box.add([run(4, text="x" * 5000 + "".join(chr(0x4e00 + k) for k in range(900)))], 100)
        assert sum("push outbox full" in r.message for r in caplog.records) == 1


def test_split_keeps_order_and_moves_later_batches_up(tmp_path):
    with open_outbox(tmp_path, Clock()) as box:
        (first,) = box.add([run(1, collector="a"), run(1, collector="b"), run(1, collector="c")], 100)
        (second,) = box.add([run(1, collector="d")], 100)
        batch = box.oldest()
        assert box.split(batch) == (first, first + 1)
        rows = [(seq, [r["collector"] for r in box_batch_runs(box, seq)]) for seq, in
                box.db.execute("SELECT seq FROM batches ORDER BY seq").fetchall()]
        assert rows == [(first, ["a"]), (first + 1, ["b", "c"]), (second + 1, ["d"])]
        assert box.add([run(1)], 100) == [second + 2]
        single = box.oldest()
        assert box.split(single) is None  # one run: cannot be cut


def box_batch_runs(box, seq):
    from agent.run.outbox import Batch

    row = box.db.execute("SELECT seq, batch_id, created_at, results, size, body FROM batches WHERE seq = ?", (seq,)).fetchone()
    return Batch(*row).runs()


def test_held_batches_are_skipped_but_kept(tmp_path):
    with open_outbox(tmp_path, Clock()) as box:
        (a,) = box.add([run(1)], 100)
        (b,) = box.add([run(1)], 100)
        box.hold(a, "422: results[0].state: Input should be 'OK'...")
        assert box.oldest().seq == b
        stats = box.stats()
        assert (stats.pending, stats.held) == (1, 1)


def test_drop_of_an_unsendable_batch_is_counted(tmp_path, caplog):
    with open_outbox(tmp_path, Clock()) as box:
        (a,) = box.add([run(7)], 100)
        with caplog.at_level(logging.ERROR):
            box.drop(a, "the collector refuses it as too large (HTTP 413)")
        assert box.oldest() is None and box.dropped_unreported() == 7
        assert "batch %d dropped (7 results)" % a in caplog.text


@pytest.mark.parametrize("n", [0])
def test_empty_cycle_adds_nothing(tmp_path, n):
    with open_outbox(tmp_path, Clock()) as box:
        assert box.add([], 100) == []
        assert box.oldest() is None
