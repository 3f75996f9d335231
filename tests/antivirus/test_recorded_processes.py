"""Chinese antivirus products found by their processes, on process lists people published from
their own machines (fixtures/recorded/, sources in SOURCES.md there).

A recording is turned into what the known-antivirus script prints on that machine
(tests/support/recorded_windows.py: the recorded image names the script asks Get-Process for,
without ".exe") and parsed by collectors/platforms/windows/av_known.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.antivirus import ProductState
from collectors.base import CommandOutput
from collectors.platforms.windows import av_known
from tests.support.recorded_windows import recorded_process_names, recording_as_script_json

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
QIHOO, HUORONG, TENCENT = "360 安全卫士 / 360 杀毒 (Qihoo 360)", "火绒安全 (Huorong)", "腾讯电脑管家 (Tencent PC Manager)"
KINGSOFT = "金山毒霸 (Kingsoft)"

# file, processes listed, {product: mode}
CASES = [
    # zh-CN Windows XP SP3 (2015): 360 安全卫士's tray and active-defence processes, lower and mixed case
    ("processes-zh-cn-xp-360.txt", 27, {QIHOO: "running (360tray, zhudongfangyu)"}),
    # one machine with both 360 and 火绒 (tasklist, session "Services")
    ("tasklist-360-huorong.txt", 26, {QIHOO: "running (zhudongfangyu)", HUORONG: "running (usysdiag, wsctrlsvc)"}),
    # 火绒 beside Defender's smartscreen.exe on a Parallels VM
    ("processes-huorong-sharphunter.txt", 9, {HUORONG: "running (hipsdaemon, usysdiag)"}),
    # a Windows server (SQL Server, IIS) with 腾讯电脑管家's real-time protection process
    ("processes-tencent-pc-manager-server.txt", 32, {TENCENT: "running (qqpcrtp)"}),
    # a Windows 11 desktop's processes holding network connections (netstat -ano, then
    # tasklist /FI "PID eq ..."), annotated by its owner: 金山毒霸's scan/real-time service
    ("processes-kingsoft-netstat.txt", 8, {KINGSOFT: "running (kxescore)"}),
]


def products(name: str):
    text = (RECORDED / name).read_text(encoding="utf-8")
    stdout = recording_as_script_json(text, av_known.script())
    return text, av_known.parse(av_known.KnownSample(CommandOutput(("powershell.exe",), 0, stdout, b"")))


@pytest.mark.parametrize(("name", "listed", "expected"), CASES, ids=[c[0] for c in CASES])
def test_recorded_process_lists(name, listed, expected) -> None:
    text, found = products(name)
    assert len(recorded_process_names(text)) == listed
    assert {p.name: str(p.mode) for p in found} == expected
    assert all(p.state is ProductState.ON and p.owner == "third party" for p in found)
    # the recordings carry no signature dates: the products are never judged on them
    assert all(p.signatures_checked is False for p in found)


def test_other_processes_are_not_products() -> None:
    """Defender's smartscreen.exe, 360's drivers (the XP list's "Devices" part names 360 and
    QQProtect drivers, not processes) and look-alike names match no product."""
    text, _ = products("processes-zh-cn-xp-360.txt")
    assert "360SelfProtection" not in recorded_process_names(text)
    _, found = products("processes-huorong-sharphunter.txt")
    assert [p.name for p in found] == [HUORONG]
