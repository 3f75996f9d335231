"""When a capture is due: daily, or when the quick fingerprint changes."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from agent.assets.schedule import CaptureState, due, load_state, quick_linux, save_state
from collectors.base import CollectorIO
from collectors.commands import run_command

T = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)
DAY = 86400.0


def test_due():
    assert due(CaptureState(), "q", T, DAY) == "first capture"
    state = CaptureState("q", T)
    assert due(state, "q", T + timedelta(hours=23), DAY) is None
    assert due(state, "q", T + timedelta(hours=24), DAY) == "daily capture"
    assert due(state, "other", T + timedelta(minutes=5), DAY) == "a change was seen (quick check)"


def test_state_round_trip_and_broken_files(tmp_path):
    path = tmp_path / "assets" / "capture-state.json"
    assert load_state(path) == CaptureState()
    save_state(path, CaptureState("abc", T))
    assert load_state(path) == CaptureState("abc", T)
    path.write_text("{not json")
    assert load_state(path) == CaptureState()  # said in the log; captured again, never a crash
    path.write_text('{"quick": "abc", "captured_at": "yesterday"}')
    assert load_state(path) == CaptureState()


def _tree(root: Path) -> None:
    files = {
        "sys/class/dmi/id/sys_vendor": "Dell Inc.\n", "sys/class/dmi/id/product_name": "OptiPlex 7070\n",
        "proc/meminfo": "MemTotal:       16303772 kB\nMemFree:  100 kB\n",
        "sys/block/sda/size": "976773168\n", "sys/block/sda/device/model": "Samsung SSD 860\n",
        "sys/class/net/eno1/address": "8c:16:45:aa:bb:cc\n", "etc/os-release": 'NAME="Debian GNU/Linux"\n',
        "var/lib/dpkg/status": "Package: bash\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "sys/class/net/eno1/device").mkdir()


def test_quick_fingerprint_sees_hardware_and_package_changes_only(tmp_path):
    _tree(tmp_path)
    io = CollectorIO(run=run_command, fs_root=tmp_path)
    first = quick_linux(io)
    assert quick_linux(io) == first
    (tmp_path / "sys/class/net/veth1a2b").mkdir()  # a container's veth: no device, no change
    (tmp_path / "sys/class/net/veth1a2b/address").write_text("02:42:ac:11:00:02\n")
    (tmp_path / "proc/meminfo").write_text("MemTotal:       16303772 kB\nMemFree:  999 kB\n")  # free memory moves
    assert quick_linux(io) == first
    (tmp_path / "proc/meminfo").write_text("MemTotal:       32607544 kB\n")  # a module added
    assert quick_linux(io) != first
    second = quick_linux(io)
    status = tmp_path / "var/lib/dpkg/status"
    status.write_text("Package: bash\n\nPackage: vim\n")  # a package installed
    os.utime(status, ns=(1, 2))
    assert quick_linux(io) != second


def test_quick_fingerprint_of_this_machine_is_stable():
    io = CollectorIO(run=run_command)
    assert quick_linux(io) == quick_linux(io)
