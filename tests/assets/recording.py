"""Linux samples as JSON files: record this machine's raw sources once (``python -m
tests.assets.recording DIR``), replay them in tests. The file holds exactly what
``agent.assets.capture.linux.fetch`` read: command outputs with their exit codes, file
contents, EDID bytes in hex."""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from agent.assets.capture.linux import LinuxSample, Ran
from collectors.base import CommandOutput


def _ran_out(ran: Ran) -> dict[str, Any]:
    if ran.output is None:
        return {"error": ran.error}
    o = ran.output
    return {"argv": list(o.argv), "returncode": o.returncode, "stdout": o.stdout.decode("utf-8", "replace"),
            "stderr": o.stderr.decode("utf-8", "replace")}


def _ran_in(data: dict[str, Any]) -> Ran:
    if "error" in data:
        return Ran(None, data["error"])
    return Ran(CommandOutput(tuple(data["argv"]), data["returncode"], data["stdout"].encode(), data["stderr"].encode()))


def dump(sample: LinuxSample, *, max_packages: int | None = None) -> str:
    data: dict[str, Any] = {}
    for f in fields(sample):
        value = getattr(sample, f.name)
        if isinstance(value, Ran):
            data[f.name] = _ran_out(value)
        elif f.name == "smart":
            data[f.name] = {k: _ran_out(v) for k, v in value.items()}
        elif f.name == "drm":
            data[f.name] = None if value is None else [[c, b.hex()] for c, b in value]
        else:
            data[f.name] = value if not isinstance(value, tuple) else list(value)
    if max_packages is not None and "stdout" in data["packages"]:
        lines = data["packages"]["stdout"].splitlines(keepends=True)[:max_packages]
        data["packages"]["stdout"] = "".join(lines)
        names = {line.split("\t", 1)[0] for line in lines}
        data["dpkg_list_mtimes"] = {k: v for k, v in data["dpkg_list_mtimes"].items() if k in names}
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def load(path: Path) -> LinuxSample:
    data = json.loads(path.read_text(encoding="utf-8"))
    kwargs: dict[str, Any] = {}
    for f in fields(LinuxSample):
        value = data[f.name]
        if f.name in ("dmidecode", "lsblk", "packages"):
            value = _ran_in(value)
        elif f.name == "smart":
            value = {k: _ran_in(v) for k, v in value.items()}
        elif f.name == "drm":
            value = None if value is None else tuple((c, bytes.fromhex(h)) for c, h in value)
        elif f.name == "addresses":
            value = {k: tuple(v) for k, v in value.items()}
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return LinuxSample(**kwargs)


if __name__ == "__main__":  # record this machine
    from agent.assets.capture import linux
    from collectors.base import CollectorIO
    from collectors.commands import run_command

    Path(sys.argv[1]).write_text(dump(linux.fetch(CollectorIO(run=run_command)), max_packages=40), encoding="utf-8")
