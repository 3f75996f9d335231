"""Find collectors through the ``patrol.collectors`` entry-point group.

A third-party package adds a check family by declaring, in its own pyproject.toml::

    [project.entry-points."patrol.collectors"]
    ups = "patrol_ups:UpsCollector"

Its settings then live under ``checks.plugins.ups`` and are validated by the class's
``params_model``. A plugin that fails to import is reported, not fatal: the other
families still run.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from collectors.base import Collector

GROUP = "patrol.collectors"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokenCollector:
    """An entry point that could not be loaded, kept so the CLI can say why."""

    name: str
    target: str
    error: str


@dataclass(frozen=True)
class Registry:
    collectors: Mapping[str, Collector]
    broken: tuple[BrokenCollector, ...] = ()

    def get(self, name: str) -> Collector:
        try:
            return self.collectors[name]
        except KeyError:
            from config.loader import did_you_mean

            raise KeyError(f"no check family named {name!r}{did_you_mean(name, self.collectors) or '; known: none'}") from None


def load_registry(eps: list[EntryPoint] | None = None, *, names: Collection[str] | None = None) -> Registry:
    """Load the check families; ``names`` limits it to those (a worker that runs two
    families need not import the other nine)."""
    found: dict[str, Collector] = {}
    broken: list[BrokenCollector] = []
    for ep in eps if eps is not None else entry_points(group=GROUP):
        if names is not None and ep.name not in names:
            continue
        try:
            cls = ep.load()
            instance = cls()
        except Exception as exc:  # a broken plugin must not stop the agent
            log.error("collector %s (%s) failed to load: %s", ep.name, ep.value, exc)
            broken.append(BrokenCollector(ep.name, ep.value, f"{type(exc).__name__}: {exc}"))
            continue
        if getattr(instance, "name", None) != ep.name:
            broken.append(BrokenCollector(ep.name, ep.value,
                                          f"entry point name {ep.name!r} differs from the class's name {getattr(instance, 'name', None)!r}"))
            continue
        found[ep.name] = instance
    return Registry(dict(sorted(found.items())), tuple(broken))
