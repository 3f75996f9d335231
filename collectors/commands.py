"""The real command runner: runs a program without a shell, with a timeout."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence

from collectors.base import CommandOutput


def run_command(argv: Sequence[str], *, timeout: float, input: bytes | None = None,
                env: Mapping[str, str] | None = None) -> CommandOutput:
    """Run ``argv``; ``FileNotFoundError`` if missing, ``TimeoutError`` past ``timeout``.

    The child gets LC_ALL=C unless ``env`` says otherwise, so parsers read untranslated
    output. It runs in its own session so that on timeout the whole process group is
    killed, including grandchildren a script started (a hung ``apt`` helper, say).
    """
    started = time.monotonic()
    full_env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    if env:
        full_env.update(env)
    proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise TimeoutError(f"{argv[0]} did not finish within {timeout:g} s") from None
    return CommandOutput(tuple(argv), proc.returncode, stdout, stderr, time.monotonic() - started)
