"""The lock the processes of one agent share (agent/interlock.py), with real processes."""

from __future__ import annotations

import time

import pytest

from agent.interlock import LockTimeout, interlock
from tests.support.proc import lock_holder


def test_a_second_process_waits_for_the_first(tmp_path):
    lock = tmp_path / "engine.lock"
    proc = lock_holder(lock, 1.0)
    try:
        started = time.monotonic()
        with interlock(lock, 10):
            waited = time.monotonic() - started
    finally:
        proc.wait(10)
    assert 0.5 < waited < 5


def test_a_lock_held_too_long_is_a_timeout_naming_the_file(tmp_path):
    lock = tmp_path / "engine.lock"
    proc = lock_holder(lock, 5.0)
    try:
        with pytest.raises(LockTimeout, match="engine.lock is held by another Patrol process"):
            with interlock(lock, 0.3):
                pass
    finally:
        proc.kill()
        proc.wait(10)


def test_a_killed_holder_never_leaves_the_lock_held(tmp_path):
    lock = tmp_path / "engine.lock"
    proc = lock_holder(lock, 60)
    proc.kill()
    proc.wait(10)
    with interlock(lock, 2):
        pass
