"""Which programs run now, from /proc/<pid>/comm (no systemd needed, works in containers)."""

from __future__ import annotations

from collectors.base import CollectorIO


def process_names(io: CollectorIO) -> frozenset[str]:
    """The command names (comm, at most 15 characters) of all processes below ``io.fs_root``."""
    names = set()
    try:
        entries = list(io.path("/proc").iterdir())
    except OSError:
        return frozenset()
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            names.add((entry / "comm").read_text(errors="replace").strip())
        except OSError:  # the process ended while we looked
            continue
    return frozenset(names)


def any_running(names: frozenset[str], wanted: tuple[str, ...]) -> str | None:
    """The first of ``wanted`` that runs (comm is truncated to 15 characters by the kernel)."""
    for name in wanted:
        if name[:15] in names:
            return name
    return None
