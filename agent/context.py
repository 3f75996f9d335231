"""What a `patrol` command works with: settings, inventory, store and collectors, opened lazily.

Subcommands (tickets, reports, ...) receive an ``AppContext`` and take what they need;
nothing here opens a database or imports a collector until asked.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from collectors.base import CollectorIO, utcnow

if TYPE_CHECKING:
    from agent.store import Store
    from collectors.registry import Registry
    from config.schema import Settings
    from inventory.models import Inventory


def store_components() -> list:
    """Store components beyond core, each owning its tables (see agent/store/migrations.py)."""
    components = []
    try:
        from agent.ticketing.schema import TICKETING
    except ImportError:  # ticketing not installed in this build
        pass
    else:
        components.append(TICKETING)
        from agent.notify.schema import NOTIFY  # reads the ticket events, so only beside ticketing

        components.append(NOTIFY)
    from agent.topology.schema import TOPOLOGY

    components.append(TOPOLOGY)
    from agent.assets.schema import ASSETS

    components.append(ASSETS)
    return components


@dataclass
class AppContext:
    settings: "Settings"
    config_path: Path | None = None
    clock: Callable[[], datetime] = utcnow
    # PRAGMA quick_check on open: commands and the start of `patrol run`, not every worker.
    check_store: bool = True
    _store: "Store | None" = field(default=None, repr=False)

    @functools.cached_property
    def inventory(self) -> "Inventory":
        from inventory.loader import load_inventory

        path = self.settings.paths.inventory
        return load_inventory(self.settings.resolve(path) if path else None, local_name=self.settings.agent.name)

    @functools.cached_property
    def registry(self) -> "Registry":
        from collectors.registry import load_registry

        return load_registry()

    @property
    def store(self) -> "Store":
        if self._store is None:
            from agent.store import Store

            try:
                self._store = Store.open(self.settings.store_url, self.settings.agent.site, store_components(),
                                         check=self.check_store)
            except OSError as exc:  # state_dir below a regular file, unwritable, ...
                from config.loader import ConfigError, ConfigProblem

                raise ConfigError([ConfigProblem(str(self.config_path or "(defaults)"), None, "paths.state_dir",
                                                 f"cannot create the store in {self.settings.state_dir}: "
                                                 f"{exc.strerror or exc}")]) from None
        return self._store

    def collector_io(self) -> CollectorIO:
        from collectors.commands import run_command
        from collectors.platforms.detect import current_platform
        from config.secrets import resolve_secret

        return CollectorIO(run=run_command, state_dir=self.settings.state_dir, platform=current_platform(),
                           clock=self.clock, resolve_secret=resolve_secret)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
