"""systemd units: are the required services running?

Raw sample (``systemctl show --property=Id,LoadState,ActiveState,SubState sshd.service cron.service``)::

    Id=ssh.service
    LoadState=loaded
    ActiveState=active
    SubState=running

    Id=cron.service
    LoadState=not-found
    ActiveState=inactive
    SubState=dead

Units are separated by a blank line, in the order asked. ``systemctl`` answers even for
units that do not exist (LoadState=not-found), so one call covers all names.
"""

from __future__ import annotations

from collections.abc import Sequence

from collectors.base import CollectorIO, CommandOutput, FetchError, ParseError
from collectors.platforms.services import ServiceStatus

PROPERTIES = "Id,LoadState,ActiveState,SubState"


def fetch(names: Sequence[str], io: CollectorIO) -> CommandOutput:
    units = [n if "." in n else f"{n}.service" for n in names]
    try:
        return io.run(["systemctl", "show", f"--property={PROPERTIES}", "--", *units], timeout=10)
    except FileNotFoundError:
        raise FetchError("systemctl not found: this machine does not run systemd") from None


def parse(names: Sequence[str], output: CommandOutput) -> tuple[ServiceStatus, ...]:
    if output.returncode != 0:
        message = output.stderr.decode("utf-8", "replace").strip() or f"exit code {output.returncode}"
        if "System has not been booted with systemd" in message or "Failed to connect to bus" in message:
            raise FetchError("systemd is not running here (container or chroot): services cannot be checked")
        raise ParseError(f"systemctl show failed: {message}")
    blocks = [b for b in output.stdout.decode("utf-8", "replace").strip().split("\n\n") if b.strip()]
    if len(blocks) != len(names):
        raise ParseError(f"systemctl show returned {len(blocks)} units for {len(names)} asked")
    statuses = []
    for name, block in zip(names, blocks):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        exists = props.get("LoadState") not in (None, "not-found", "masked")
        running = props.get("ActiveState") == "active"
        detail = f"{props.get('ActiveState', '?')}/{props.get('SubState', '?')}"
        if not exists:
            detail = f"unit {props.get('LoadState', 'not-found')}"
        statuses.append(ServiceStatus(name=name, exists=exists, running=running, detail=detail))
    return tuple(statuses)
