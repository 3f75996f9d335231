"""Software check: version ordering, parsers on raw outputs, rules, and this machine's dpkg database."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from collectors.base import CollectorIO, CommandOutput, ParseError, State
from collectors.commands import run_command
from collectors.platforms.linux import software as linux
from collectors.platforms.linux.software_versions import debian_compare, rpm_compare
from collectors.platforms.windows import software as windows
from collectors.platforms.windows.software import dotted_compare
from collectors.software import InstalledPackage, InstalledSoftware, SoftwareCollector
from config.checks.software import SoftwareParams
from inventory.models import Host, Inventory
from tests.support.proc import require_program

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
HOST = Host(name="pc-17", local=True)
FIXTURES = Path(__file__).parent / "fixtures"

DEBIAN_PAIRS = [
    ("1.0", "1.0"), ("1.0", "1.1"), ("1.10", "1.9"), ("1.0~rc1", "1.0"), ("1.0~rc1", "1.0~~"), ("1.0", "1.0+b1"),
    ("1:1.0", "2.0"), ("4:7.4.7-1+deb12u5", "4:7.4.7-1"), ("7.4.7-1", "7.4.7-1~bpo11+1"), ("115.12.0esr-1~deb12u1", "115.9.1esr-1"),
    ("1.0a", "1.0-1"), ("1.0.0", "1.0"), ("2.36.1-8+deb12u1", "2.36.1-8"), ("1.2.3-1", "1.2.3-10"), ("0:1.0", "1.0"),
    ("1.0-1", "1.0"), ("a", "b"), ("1.0+dfsg", "1.0.dfsg"), ("3.11.2-1+b1", "3.11"), ("1.01", "1.1"),
]


@pytest.mark.parametrize("a, b", DEBIAN_PAIRS, ids=[f"{a}_vs_{b}" for a, b in DEBIAN_PAIRS])
def test_debian_order_agrees_with_dpkg(a: str, b: str) -> None:
    dpkg = require_program("dpkg", "dpkg")
    for op, want in (("lt", -1), ("eq", 0), ("gt", 1)):
        if subprocess.run([dpkg, "--compare-versions", a, op, b]).returncode == 0:
            break
    got = debian_compare(a, b)
    assert (got > 0) - (got < 0) == want


# Cases from rpm's own test suite (tests/rpmvercmp.at).
@pytest.mark.parametrize("a, b, want", [
    ("1.0", "1.0", 0), ("1.0", "2.0", -1), ("2.0.1a", "2.0.1", 1), ("5.5p1", "5.5p2", -1), ("5.5p10", "5.5p10", 0),
    ("10xyz", "10.1xyz", -1), ("xyz.4", "8", -1), ("1.0~rc1", "1.0", -1), ("1.0~rc1~git123", "1.0~rc1", -1),
    ("1.0^", "1.0", 1), ("1.0^git1", "1.01", -1), ("1.0^git1~pre", "1.0^git1", -1), ("6.0.rc1", "6.0", 1),
    ("1b.fc17", "1.fc17", -1), ("1g.fc17", "1.fc17", 1), ("2_0", "2_0", 0), ("2.0", "2_0", 0), ("1:1.0-1", "2.0-1", 1),
], ids=lambda v: str(v))
def test_rpm_order(a: str, b: str, want: int) -> None:
    got = rpm_compare(a, b)
    assert (got > 0) - (got < 0) == want


@pytest.mark.parametrize("a, b, want", [
    ("16.0.17126.20132", "16.0.16827.20166", 1), ("16.0", "16.0.0.0", 0), ("23.01", "23.1", 0),
    ("1.6.00.4472", "1.7", -1), ("11.1.0.11719", "11.1.0.9999", 1),
], ids=lambda v: str(v))
def test_dotted_order(a: str, b: str, want: int) -> None:
    assert dotted_compare(a, b) == want


def _dpkg(stdout: str, returncode: int = 0, stderr: str = "") -> linux.PackageList:
    return linux.PackageList("dpkg", CommandOutput(linux.DPKG, returncode, stdout.encode(), stderr.encode()))


def test_dpkg_status_letters() -> None:
    model = linux.parse(_dpkg("libreoffice-writer\t4:7.4.7-1+deb12u5\tii \nold\t1.0\trc \n"
                              "half\t2.0\tiF \nheld\t3.0\thi \nwaiting\t1\tiW \n"))
    assert [(p.name, bool(p.broken)) for p in model.packages] == [
        ("libreoffice-writer", False), ("half", True), ("held", False), ("waiting", False)]


@pytest.mark.parametrize("raw, message", [
    (_dpkg("just one field\n"), "line 1 is not"),
    (_dpkg("", 2, "dpkg-query: error: cannot access archive"), "exit code 2"),
], ids=["bad-line", "failed"])
def test_dpkg_broken_output(raw: linux.PackageList, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        linux.parse(raw)


def test_windows_uninstall_sample_merges_views() -> None:
    out = CommandOutput(("powershell.exe",), 0, (FIXTURES / "windows" / "office_pc.json").read_bytes(), b"")
    model = windows.parse(out)
    names = [p.name for p in model.packages]
    assert names.count("Adobe Acrobat Reader DC - Chinese Simplified") == 1
    assert ("WPS Office", "11.1.0.11719", "HKCU") in [(p.name, p.version, p.source) for p in model.packages]
    assert ("Google Chrome", "") in [(p.name, p.version) for p in model.packages]


@pytest.mark.parametrize("stdout, count", [(b"[]", 0), (b"", 0), (b'{"DisplayName":"X","DisplayVersion":"1"}', 1)],
                         ids=["empty-array", "no-output", "bare-object"])
def test_windows_shapes(stdout: bytes, count: int) -> None:
    assert len(windows.parse(CommandOutput(("powershell.exe",), 0, stdout, b"")).packages) == count


OFFICE_PC = windows.parse(CommandOutput(("powershell.exe",), 0, (FIXTURES / "windows" / "office_pc.json").read_bytes(), b""))
DEBIAN_PC = InstalledSoftware("linux", "dpkg", "debian", (
    InstalledPackage("libreoffice-writer", "4:7.4.7-1+deb12u5", "dpkg"),
    InstalledPackage("firefox-esr", "115.12.0esr-1~deb12u1", "dpkg"),
    InstalledPackage("thunderbird", "1:115.3.1-1~deb12u1", "dpkg", broken="dpkg status iF")))


@pytest.mark.parametrize("model, rule, state, words", [
    (OFFICE_PC, {"name": "Microsoft 365 Apps*", "label": "Office", "min_version": "16.0.16827"}, State.OK, "16.0.17126.20132"),
    (OFFICE_PC, {"name": "microsoft 365 apps*", "label": "Office", "allowed_versions": ["16.0.1*"]}, State.OK, "installed"),
    (OFFICE_PC, {"name": "Microsoft 365 Apps*", "label": "Office", "min_version": "16.0.17328"}, State.WARN,
     "older than the minimum 16.0.17328"),
    (OFFICE_PC, {"name": "WPS Office", "max_version": "11.1.0.10000", "wrong_version_state": "crit"}, State.CRIT,
     "newer than the maximum"),
    (OFFICE_PC, {"name": "Google Chrome", "min_version": "120"}, State.WARN, "no version recorded"),
    (OFFICE_PC, {"name": "Foxit*"}, State.CRIT, "not installed"),
    (OFFICE_PC, {"name": "Foxit*", "missing_state": "warn"}, State.WARN, "not installed"),
    (DEBIAN_PC, {"name": "libreoffice-writer", "min_version": "4:7.4"}, State.OK, "installed"),
    (DEBIAN_PC, {"name": "libreoffice-writer", "min_version": "7.5"}, State.OK, "installed"),  # epoch 4 beats 7.5 (epoch 0)
    (DEBIAN_PC, {"name": "firefox-esr", "min_version": "115.12.0esr"}, State.OK, "installed"),
    (DEBIAN_PC, {"name": "firefox-esr", "min_version": "115.12.0esr-1"}, State.WARN, "older than the minimum"),
    (DEBIAN_PC, {"name": "thunderbird"}, State.WARN, "dpkg status iF"),
], ids=["office-min-ok", "office-pattern", "office-too-old", "wps-too-new", "no-version", "missing", "missing-warn",
        "epoch-ok", "epoch-beats-upstream", "tilde-ok", "tilde-older", "broken-install"])
def test_rules(model: InstalledSoftware, rule: dict, state: State, words: str) -> None:
    params = SoftwareParams(required=[rule])
    (result,) = SoftwareCollector().evaluate(model, params, HOST, NOW)
    assert (result.state, result.check) == (state, "software.package")
    assert words in result.summary, result.summary


def test_platform_rules_and_no_targets_when_unconfigured() -> None:
    params = SoftwareParams(required=[{"name": "WPS Office", "platform": "windows"}, {"name": "libreoffice-writer", "platform": "linux"}])
    assert [r.item for r in SoftwareCollector().evaluate(DEBIAN_PC, params, HOST, NOW)] == ["libreoffice-writer"]
    inventory = Inventory(hosts=(HOST,))
    assert SoftwareCollector().targets(SoftwareParams(), inventory) == ()
    assert SoftwareCollector().targets(params, inventory) == (HOST,)


def test_duplicate_items_are_refused() -> None:
    with pytest.raises(ValidationError, match="same item 'Office'"):
        SoftwareParams(required=[{"name": "Microsoft 365*", "label": "Office"}, {"name": "WPS*", "label": "Office"}])


def test_this_machines_dpkg_database() -> None:
    require_program("dpkg-query", "dpkg")
    installed = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3"], capture_output=True, text=True).stdout
    collector = SoftwareCollector()
    params = SoftwareParams(required=[
        {"name": "python3", "min_version": installed},
        {"name": "python3", "label": "python3-too-old", "min_version": installed + "+1"},
        {"name": "dpkg", "allowed_versions": ["1.*"]},
        {"name": "patrol-no-such-package-*"},
    ])
    model = collector.parse(collector.fetch(HOST, params, CollectorIO(run=run_command)))
    assert model.version_scheme == "debian" and len(model.packages) > 50
    got = {r.item: r.state for r in collector.evaluate(model, params, HOST, NOW)}
    assert got == {"python3": State.OK, "python3-too-old": State.WARN, "dpkg": State.OK,
                   "patrol-no-such-package-*": State.CRIT}


def test_same_item_on_two_platforms_is_allowed() -> None:
    params = SoftwareParams(required=[{"name": "Microsoft 365*", "label": "Office", "platform": "windows"},
                                      {"name": "libreoffice-writer", "label": "Office", "platform": "linux"}])
    assert [r.item for r in SoftwareCollector().evaluate(DEBIAN_PC, params, HOST, NOW)] == ["Office"]
    with pytest.raises(ValidationError, match="same item"):
        SoftwareParams(required=[{"name": "a", "label": "Office", "platform": "windows"}, {"name": "b", "label": "Office"}])


def test_whole_collector_on_windows_through_the_command_runner() -> None:
    sample = (FIXTURES / "windows" / "office_pc.json").read_bytes()
    scripts: list[str] = []

    def run(argv, *, timeout, input=None, env=None):
        scripts.append(argv[-1])
        return CommandOutput(tuple(argv), 0, sample, b"")

    params = SoftwareParams(required=[{"name": "Microsoft 365 Apps*", "label": "Office", "min_version": "16.0.16827"},
                                      {"name": "libreoffice-writer", "platform": "linux"}])
    collector = SoftwareCollector()
    model = collector.parse(collector.fetch(HOST, params, CollectorIO(run=run, platform="windows")))
    assert all(view in scripts[0] for view in ("HKLM:\\SOFTWARE\\Microsoft", "WOW6432Node", "HKCU:"))
    assert [(r.item, r.state) for r in collector.evaluate(model, params, HOST, NOW)] == [("Office", State.OK)]
