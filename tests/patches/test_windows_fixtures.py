"""Windows Update Agent output, one folder per case, through fetch (replayed), parse and evaluate."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.base import CollectorIO
from collectors.patches import PatchesCollector
from collectors.platforms.windows.windows_update import script
from inventory.models import Host
from tests.antivirus.replay import Replay, run_case

CASES = sorted(p for p in (Path(__file__).parent / "fixtures" / "windows").iterdir() if p.is_dir())
HOST = Host(name="pc-1", local=True, os="windows")


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_windows_update_case(folder: Path) -> None:
    run_case(PatchesCollector(), folder, HOST)


def test_error_reason_names_the_cause() -> None:
    folder = next(p for p in CASES if p.name == "search_error_8024402C")
    collector = PatchesCollector()
    params = collector.params_model()
    model = collector.parse(collector.fetch(HOST, params, CollectorIO(run=Replay(folder), platform="windows")))
    assert str(model.error) == ("Windows Update search failed with 0x8024402C: WU_E_PT_WINHTTP_NAME_NOT_RESOLVED: "
                           "the update server name does not resolve (proxy or DNS settings)")


@pytest.mark.parametrize("cab,expected", [
    (None, "if ($false)"),
    (r"D:\wsus\wsusscn2.cab", r"AddScanPackageService('Patrol offline scan', 'D:\wsus\wsusscn2.cab', 1)"),
    ("C:\\it's\\wsusscn2.cab", "'C:\\it''s\\wsusscn2.cab'"),
], ids=["online", "offline", "quote-in-path"])
def test_offline_script(cab, expected) -> None:
    params = PatchesCollector.params_model.model_validate({"windows": {"offline_cab": cab}})
    text = script(params)
    assert expected in text
    assert "$searcher.Search('IsInstalled=0 and Type=''Software'' and IsHidden=0')" in text


@pytest.mark.parametrize("text, day_first, expected", [
    ("11/12/2026", False, "2026-11-12"),  # M/d/yyyy, what CBS usually writes
    ("11/12/2026", True, "2026-12-11"),  # en-GB, told by another date of the same machine
    ("25/09/2026", False, "2026-09-25"),  # a day above 12 reads itself
    ("10.08.2026", False, "2026-08-10"),  # de, ru
    ("2026/11/12", False, "2026-11-12"),  # zh-CN, ja
    ("2026-11-12", False, "2026-11-12"),
    ("01d6e6b6a2f1c000", False, "2021-01-09"),  # hex FILETIME (older systems)
    ("0000000000000000", False, None),
    ("", False, None),
    ("13/13/2026", False, None),
    ("gestern", False, None),
])
def test_installed_on_forms(text: str, day_first: bool, expected: str | None) -> None:
    from collectors.platforms.windows.windows_update import parse_installed_on

    got = parse_installed_on(text, day_first)
    assert (got.strftime("%Y-%m-%d") if got else None) == expected


def test_recorded_installed_on_values_pick_the_newest() -> None:
    """Raw InstalledOn values as a machine printed them (`wmic qfe get ... InstalledOn`, published in a
    public notes file found through the code search index): 12/22/2021 shows the machine writes
    month first, so 4/9/2021 is April 9th; the newest is KB5007289."""
    from collectors.platforms.windows.windows_update import newest_hotfix

    rows = [("KB5007289", "12/22/2021"), ("KB5000736", "4/9/2021"), ("KB5005033", "8/13/2021"),
            ("KB5007273", "12/14/2021"), ("KB5005260", "8/13/2021")]
    newest = newest_hotfix({"Hotfixes": [{"HotFixID": k, "InstalledOn": d} for k, d in rows]})
    assert newest is not None
    assert (newest.name, f"{newest.installed:%Y-%m-%d}") == ("KB5007289", "2021-12-22")
    # The same list from an en-GB machine (day first) is read day first throughout.
    gb = newest_hotfix({"Hotfixes": [{"HotFixID": "KB1", "InstalledOn": "22/12/2021"},
                                     {"HotFixID": "KB2", "InstalledOn": "04/09/2021"}]})
    assert gb is not None and f"{gb.installed:%Y-%m-%d}" == "2021-12-22"
    assert newest_hotfix({"Hotfixes": [{"HotFixID": "KB3", "InstalledOn": "04/09/2021"},
                                       {"HotFixID": "KB4", "InstalledOn": "22/12/2021"}]}).name == "KB4"


def test_recorded_ja_jp_hotfix_dates_pick_the_newest() -> None:
    """A ja-JP machine's `Get-HotFix` list as published (a Japanese PC-inventory write-up,
    code-search index file 43408214229; host name replaced there by its author). Get-HotFix
    shows InstalledOn as a DateTime in the ja-JP form `2023/11/20 0:00:00`, not the raw WMI
    string the fallback reads; the year-first form with zero-padded months is read the same
    way, and the newest of the recorded rows wins."""
    from collectors.platforms.windows.windows_update import newest_hotfix

    rows = [("KB5032005", "2023/11/20 0:00:00"), ("KB5032189", "2023/11/20 0:00:00"), ("KB5032392", "2023/11/19 0:00:00"),
            ("KB5031539", "2023/10/15 0:00:00"), ("KB5029709", "2023/09/18 0:00:00"), ("KB5011048", "2023/08/10 0:00:00")]
    newest = newest_hotfix({"Hotfixes": [{"HotFixID": k, "InstalledOn": d} for k, d in rows]})
    assert newest is not None and f"{newest.installed:%Y-%m-%d}" == "2023-11-20"
    assert newest.name in ("KB5032005", "KB5032189")


def test_recorded_zh_cn_installed_on_is_month_first() -> None:
    """`wmic qfe get Caption,Description,HotFixID,InstalledOn` on a zh-CN Windows 11 Home
    (家庭中文版), published in a Chinese notes file (code-search index file 4482090261; see
    tests/antivirus/fixtures/recorded/SOURCES.md). The raw InstalledOn is M/d/yyyy there too,
    not the zh-CN display form: 10/12/2023 is October 12th (KB5031354 is October 2023's
    cumulative update), and no value says day-first."""
    from collectors.platforms.windows.windows_update import newest_hotfix

    rows = [("KB5030651", "10/12/2023"), ("KB5012170", "12/7/2022"), ("KB5031354", "10/12/2023"), ("KB5031592", "10/12/2023")]
    newest = newest_hotfix({"Hotfixes": [{"HotFixID": k, "InstalledOn": d} for k, d in rows]})
    assert newest is not None and f"{newest.installed:%Y-%m-%d}" == "2023-10-12"
    assert "newest of 4 installed hotfixes" in str(newest.what)
