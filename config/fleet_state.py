"""Where an enrolled agent keeps its fleet files: ``<state_dir>/fleet/``.

Shared by the settings loader (it applies the central check settings of an enrolled
agent) and by agent/run (enrolment, outbox, push). Plain paths only: importing this costs
nothing, so `patrol run`'s supervisor may use it too.

    fleet/                   mode 0700: the credential is in here
      enrolment.json         mode 0600: url, agent_id, site, target, credential
      ca.pem                 the collector's CA, pinned at enrolment
      outbox.sqlite          results waiting to be pushed (agent/run/outbox.py)
      central-config.json    check settings from the collector, with their ETag
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FleetPaths:
    root: Path

    @classmethod
    def under(cls, state_dir: Path) -> "FleetPaths":
        return cls(Path(state_dir) / "fleet")

    @property
    def enrolment(self) -> Path:
        return self.root / "enrolment.json"

    @property
    def ca(self) -> Path:
        return self.root / "ca.pem"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox.sqlite"

    @property
    def central_config(self) -> Path:
        return self.root / "central-config.json"

    @property
    def push_lock(self) -> Path:
        return self.root / "push.lock"

    @property
    def ignored_note(self) -> Path:
        """The local keys last warned about as ignored (one warning per change, not per worker)."""
        return self.root / "ignored-local-keys.txt"

    def enrolled(self) -> bool:
        return self.enrolment.is_file()
