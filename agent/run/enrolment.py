"""This agent's enrolment with a site collector: kept in ``<state_dir>/fleet/enrolment.json``.

The file holds the agent's credential, so it is written 0600 in a 0700 folder (on
Windows the folder's ACL decides: the state directory of the service belongs to its
account, docs/fleet.md). The credential is never printed or logged; ``repr()`` hides it.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.fleet_state import FleetPaths


class EnrolmentError(Exception):
    """The enrolment file is missing fields or not JSON: re-enrol."""


@dataclass(frozen=True)
class Enrolment:
    url: str
    agent_id: str
    site: str
    target: str
    credential: str = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "agent_id": self.agent_id, "site": self.site, "target": self.target,
                "credential": self.credential}

    @classmethod
    def from_json(cls, data: Any, where: str) -> "Enrolment":
        if not isinstance(data, dict):
            raise EnrolmentError(f"{where}: not an enrolment object; re-enrol with `patrol enroll`")
        missing = [k for k in ("url", "agent_id", "site", "target", "credential") if not isinstance(data.get(k), str)]
        if missing:
            raise EnrolmentError(f"{where}: missing {', '.join(missing)}; re-enrol with `patrol enroll`")
        return cls(data["url"], data["agent_id"], data["site"], data["target"], data["credential"])


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by this account only, atomically (never a half file)."""
    private_dir(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    # O_BINARY (Windows only): no newline translation of the JSON or PEM bytes.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if os.name == "posix":
        os.chmod(tmp, 0o600)  # O_CREAT's mode does not apply to a file that already existed
    os.replace(tmp, path)


def save_enrolment(paths: FleetPaths, enrolment: Enrolment) -> None:
    write_private(paths.enrolment, (json.dumps(enrolment.to_json(), indent=2) + "\n").encode("utf-8"))


def load_enrolment(paths: FleetPaths) -> Enrolment | None:
    """The saved enrolment, None when this agent is not enrolled; EnrolmentError when the file is broken."""
    try:
        text = paths.enrolment.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise EnrolmentError(f"{paths.enrolment}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EnrolmentError(f"{paths.enrolment}: not JSON ({exc.msg}); re-enrol with `patrol enroll`") from None
    return Enrolment.from_json(data, str(paths.enrolment))


def os_description() -> str:
    """What the collector shows as this agent's OS, e.g. "Windows 10 (10.0.19045)", "Linux 6.1.0-18-amd64"."""
    system, release, ver = platform.system(), platform.release(), platform.version()
    text = f"{system} {release} ({ver})" if system == "Windows" else f"{system} {release}"
    return text[:256]
