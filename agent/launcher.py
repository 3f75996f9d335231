"""Starting, reading and stopping `patrol run`'s worker processes (agent/worker.py).

A worker runs in its own process group, so killing it also kills what its checks started
(a hung ``apt-get``, an SSH client). Its stdout carries wire messages (agent/wire.py), its
stderr JSON log records, which are relayed into this process's log as if logged here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agent.wire import Message, WireError, decode

log = logging.getLogger(__name__)
# A run message holds every result of one target: a 48-port switch with its metrics is
# well over asyncio's default 64 KiB line limit.
LINE_LIMIT = 16 * 2**20
KILL_WAIT_S = 2.0


# The exit code reported for a worker whose process could not be created (as a shell's 127).
START_FAILED = 127


@dataclass(frozen=True)
class WorkerExit:
    code: int
    killed: bool  # stopped by us: deadline passed or `patrol run` stopping
    stderr_text: tuple[str, ...]  # stderr lines that were not log records (e.g. a config error)
    stopping: bool = False  # killed because `patrol run` is stopping, not for overrunning

    @property
    def outcome(self) -> str:
        if self.killed and not self.stopping:
            return "killed"
        return "ok" if self.code == 0 else "failed"


class Launcher:
    """Starts workers as ``argv + tasks``; ``on_message`` sees each wire message as it arrives."""

    def __init__(self, argv: Sequence[str], on_message: Callable[[Message], None],
                 on_exit: Callable[[WorkerExit], None] | None = None):
        self.argv = tuple(argv)
        self.on_message = on_message
        self.on_exit = on_exit
        self.live: dict[int, asyncio.subprocess.Process] = {}
        self._stopping: set[int] = set()

    async def run(self, tasks: Sequence[str], deadline_s: float, *, relay_text: bool = True) -> WorkerExit:
        """Run one worker to its end; stderr lines that are not log records are logged as
        warnings, or with ``relay_text=False`` only returned (the caller prints them)."""
        label = " ".join(tasks)
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv, *tasks, stdin=subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, limit=LINE_LIMIT, **_own_group())
        except OSError as exc:
            # EMFILE, EAGAIN, ENOMEM: the worker never ran. It is a failed worker for
            # patrol_workers_total{outcome="failed"}, not a crash of the schedule.
            log.error("could not start worker [%s]: %s", label, exc.strerror or exc)
            result = WorkerExit(START_FAILED, False, (f"could not start: {exc.strerror or exc}",))
            if self.on_exit is not None:
                self.on_exit(result)
            return result
        self.live[proc.pid] = proc
        text: list[str] = []
        started = time.monotonic()
        pumps = asyncio.gather(self._pump(proc.stdout, lambda line: self._stdout(line, label)),
                               self._pump(proc.stderr, lambda line: self._stderr(line, label, text, relay_text)))
        killed = False
        try:
            await asyncio.wait_for(asyncio.shield(pumps), deadline_s)
        except asyncio.TimeoutError:
            log.error("worker [%s] still running after its %g s deadline: killed", label, deadline_s)
            killed = True
            self.kill(proc, signal.SIGKILL)
            await pumps
        finally:
            code = await proc.wait()
            self.live.pop(proc.pid, None)
            stopping = proc.pid in self._stopping
            killed = killed or stopping
            self._stopping.discard(proc.pid)
        log.debug("worker [%s] exited %s after %.2f s", label, code, time.monotonic() - started)
        result = WorkerExit(code, killed, tuple(text), stopping)
        if self.on_exit is not None:
            self.on_exit(result)
        return result

    async def stop_all(self, grace_s: float) -> int:
        """SIGTERM every live worker (each cancels its runs and exits), SIGKILL after ``grace_s``;
        returns how many were running."""
        running = list(self.live.values())
        for proc in running:
            self._stopping.add(proc.pid)
            self.kill(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while self.live and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for proc in list(self.live.values()):
            log.warning("worker %d did not stop within %g s: killed", proc.pid, grace_s)
            self.kill(proc, signal.SIGKILL)
        deadline = time.monotonic() + KILL_WAIT_S
        while self.live and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return len(running)

    @staticmethod
    def kill(proc: asyncio.subprocess.Process, sig: int) -> None:
        if proc.returncode is not None:
            return
        try:
            if sys.platform == "win32":
                proc.kill()  # no process groups to signal; its children are not reached
            else:
                os.killpg(proc.pid, sig)  # the worker leads its own group (start_new_session)
        except ProcessLookupError:
            pass

    @staticmethod
    async def _pump(stream: asyncio.StreamReader | None, handle: Callable[[str], None]) -> None:
        assert stream is not None
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line beyond LINE_LIMIT: drop it, keep reading
                log.error("worker wrote a line longer than %d bytes; dropped", LINE_LIMIT)
                continue
            if not raw:
                return
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line:
                handle(line)

    def _stdout(self, line: str, label: str) -> None:
        try:
            message = decode(line)
        except WireError as exc:
            log.error("worker [%s]: %s", label, exc)
            return
        try:
            self.on_message(message)
        except (WireError, KeyError, TypeError, ValueError) as exc:
            log.error("worker [%s]: bad %s message: %s", label, message.kind, exc)

    @staticmethod
    def _stderr(line: str, label: str, text: list[str], relay_text: bool) -> None:
        try:
            entry = json.loads(line)
            record = logging.makeLogRecord({
                "name": str(entry["name"]), "levelno": int(entry["levelno"]),
                "levelname": logging.getLevelName(int(entry["levelno"])), "msg": str(entry["msg"]),
                "created": float(entry["created"]), "exc_text": entry.get("exc_text")})
        except (ValueError, KeyError, TypeError):
            # Not a log record: a config error printed before logging started, or a crash.
            text.append(line)
            if relay_text:
                log.warning("worker [%s]: %s", label, line)
            return
        record.msecs = (record.created % 1) * 1000
        logging.getLogger(record.name).handle(record)


def _own_group() -> dict[str, object]:
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}
