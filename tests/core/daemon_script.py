"""`patrol run` with test collectors in place of the installed ones (for daemon tests).

Usage: python -m tests.core.daemon_script CONFIG COLLECTOR[,COLLECTOR...]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from agent.context import AppContext
from agent.daemon import run_daemon
from agent.logsetup import setup_logging
from collectors.registry import Registry
from config.loader import load_settings
from tests.core import fakes


def main() -> int:
    config, names = Path(sys.argv[1]), sys.argv[2].split(",")
    settings = load_settings(config)
    setup_logging("INFO", "text", settings.state_dir / "patrol.log")
    ctx = AppContext(settings, config)
    by_name = {cls.name: cls for cls in vars(fakes).values()
               if isinstance(cls, type) and hasattr(cls, "fetch") and hasattr(cls, "name")}
    ctx.__dict__["registry"] = Registry({n: by_name[n]() for n in names})  # replaces the cached entry-point registry
    try:
        return asyncio.run(run_daemon(ctx))
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
