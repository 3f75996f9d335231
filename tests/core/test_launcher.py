"""Worker processes as `patrol run` starts them (agent/launcher.py), with small real
worker programs: messages, relayed logs, deadline kills that reach grandchildren, stop."""

from __future__ import annotations

import asyncio
import logging
import sys
import textwrap
import time

import psutil

from agent.launcher import Launcher
from agent.wire import Message


def program(body: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(body)]


def run(argv: list[str], deadline_s: float = 10, **kw):
    messages: list[Message] = []

    async def scenario():
        launcher = Launcher(argv, messages.append)
        return await launcher.run([], deadline_s, **kw)

    return asyncio.run(scenario()), messages


def test_messages_logs_and_plain_text_are_told_apart(caplog):
    caplog.set_level(logging.DEBUG)
    exit_, messages = run(program('''
        import json, sys
        print(json.dumps({"kind": "outbox", "pending": 3}), flush=True)
        print(json.dumps({"kind": "run", "run": {"blob": "x" * 200000}}), flush=True)  # over 64 KiB
        print("not a message", flush=True)
        sys.stderr.write(json.dumps({"name": "agent.worker", "levelno": 30, "msg": "disk nearly full", "created": 1.0}) + "\\n")
        sys.stderr.write("patrol: configuration error\\n")
        sys.exit(2)
    '''))
    assert exit_.code == 2 and not exit_.killed and exit_.outcome == "failed"
    assert [m.kind for m in messages] == ["outbox", "run"]
    assert messages[0].body == {"pending": 3} and len(messages[1].body["run"]["blob"]) == 200000
    assert exit_.stderr_text == ("patrol: configuration error",)
    relayed = [r for r in caplog.records if r.name == "agent.worker"]
    assert [(r.levelno, r.getMessage()) for r in relayed] == [(30, "disk nearly full")]
    assert any("not JSON" in r.getMessage() for r in caplog.records)


def test_a_worker_past_its_deadline_is_killed_with_what_it_started():
    started = time.monotonic()
    exit_, messages = run(program('''
        import json, subprocess, time
        child = subprocess.Popen(["sleep", "60"])
        print(json.dumps({"kind": "outbox", "pending": child.pid}), flush=True)
        time.sleep(60)
    '''), deadline_s=1.5)
    assert exit_.killed and exit_.outcome == "killed" and time.monotonic() - started < 5
    grandchild = messages[0].body["pending"]
    deadline = time.monotonic() + 3
    while psutil.pid_exists(grandchild) and psutil.Process(grandchild).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the worker's own child survived the kill"
        time.sleep(0.05)


def test_stop_all_terminates_running_workers_within_the_grace():
    async def scenario():
        launcher = Launcher(program('''
            import signal, sys, time
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            time.sleep(60)
        '''), lambda _m: None)
        stubborn = Launcher(program('''
            import signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(60)
        '''), lambda _m: None)
        polite_run = asyncio.create_task(launcher.run([], 60))
        stubborn_run = asyncio.create_task(stubborn.run([], 60))
        await asyncio.sleep(1.0)
        t0 = time.monotonic()
        assert await launcher.stop_all(2.0) == 1
        assert await stubborn.stop_all(0.5) == 1
        return await polite_run, await stubborn_run, time.monotonic() - t0

    polite, stubborn, elapsed = asyncio.run(scenario())
    assert polite.code == 0 and polite.killed and polite.stopping and polite.outcome == "ok"
    assert stubborn.code == -9 and stubborn.killed and stubborn.stopping
    assert elapsed < 4


def test_the_supervisor_never_waits_on_a_worker_that_closed_its_pipes():
    exit_, _ = run(program('''
        import os, sys
        os.close(1); os.close(2)
        sys.exit(0)
    '''))
    assert exit_.code == 0
