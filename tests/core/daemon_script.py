"""`patrol run` with test collectors in place of the installed ones (for daemon tests).

    python -m tests.core.daemon_script CONFIG COLLECTOR[,COLLECTOR...]          the supervisor
    python -m tests.core.daemon_script worker CONFIG COLLECTORS TASK [TASK ...]  its workers

The supervisor is the real one (agent/daemon.py); only the worker's registry is swapped
for the fakes in tests/core/fakes.py.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from agent.daemon import supervise
from agent.logsetup import setup_logging


def worker(config: Path, names: list[str], tasks: list[str]) -> None:
    from agent.context import AppContext
    from agent.worker import finish, run_tasks, setup_worker_logging, stdout_emitter
    from collectors.registry import Registry
    from config.loader import load_settings
    from tests.core import fakes

    settings = load_settings(config)
    setup_worker_logging("INFO")
    ctx = AppContext(settings, config)
    by_name = {cls.name: cls for cls in vars(fakes).values()
               if isinstance(cls, type) and hasattr(cls, "fetch") and hasattr(cls, "name")}
    ctx.__dict__["registry"] = Registry({n: by_name[n]() for n in names})  # replaces the cached entry-point registry
    finish(run_tasks(ctx, tasks, stdout_emitter()), ctx)


def main() -> int:
    if sys.argv[1] == "worker":
        worker(Path(sys.argv[2]), sys.argv[3].split(","), sys.argv[4:])
    config, names = Path(sys.argv[1]), sys.argv[2]
    setup_logging("INFO", "text")
    argv = [sys.executable, "-m", "tests.core.daemon_script", "worker", str(config.absolute()), names]
    return asyncio.run(supervise(argv, log_level="INFO"))


if __name__ == "__main__":
    sys.exit(main())
