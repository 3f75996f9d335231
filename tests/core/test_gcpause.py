"""agent/gcpause.py: no cycle collection while polls run; what they keep is frozen after."""

from __future__ import annotations

import gc

import pytest

from agent.gcpause import collector_paused


@pytest.fixture
def restore_gc():
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()  # the test process goes on collecting as before
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cycle collector frees it


def test_no_collection_runs_inside_and_what_survives_is_frozen_after(restore_gc):
    gc.enable()
    kept = [Node() for _ in range(10)]
    before = gc.get_freeze_count()
    with collector_paused(freeze=True):
        assert not gc.isenabled()
        kept.extend(Node() for _ in range(50_000))  # far past any threshold: still no collection
        assert gc.get_count()[0] > 50_000
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(kept)
    assert gc.get_count()[0] < 1_000  # the young generation was moved out, not left to be walked


def test_nothing_is_frozen_outside_a_worker_by_default(restore_gc):
    gc.enable()
    before = gc.get_freeze_count()
    with collector_paused():
        kept = [Node() for _ in range(100)]
    assert gc.get_freeze_count() == before and len(kept) == 100


def test_a_collector_already_off_stays_off(restore_gc):
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_an_error_inside_still_turns_the_collector_back_on(restore_gc):
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a poll failed")
    assert gc.isenabled()


def test_a_cycle_runs_its_checks_with_the_collector_off(restore_gc):
    import asyncio
    from types import SimpleNamespace

    from agent.cycle import run_cycle

    seen: list[bool] = []

    class Runner:
        async def run(self, jobs, on_done):
            seen.append(gc.isenabled())
            return []

    ctx = SimpleNamespace(store=None, settings=SimpleNamespace(checks=SimpleNamespace(assets=SimpleNamespace(enabled=False))))
    gc.enable()
    outcome = asyncio.run(run_cycle(ctx, Runner(), []))  # type: ignore[arg-type]
    assert outcome.runs == ()
    assert seen == [False]
    assert gc.isenabled()


def test_the_exit_keeper_holds_only_in_a_process_that_ends_with_os_exit():
    import weakref

    from agent.gcpause import ExitKeeper

    class Runs:
        pass

    keeper = ExitKeeper()
    runs = Runs()
    gone = weakref.ref(runs)
    keeper.keep(runs)
    del runs
    assert gone() is None  # in-process (tests): nothing held

    keeper.hold_until_exit()
    runs = Runs()
    held = weakref.ref(runs)
    keeper.keep(runs)
    del runs
    assert held() is not None  # a worker: freed by os._exit, not object by object
