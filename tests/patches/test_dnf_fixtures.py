"""dnf 4 output, one folder per case: check-update, updateinfo list/info, needs-restarting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from collectors.base import CollectorIO, CommandOutput
from collectors.patches import PatchesCollector
from collectors.platforms.linux.dnf_updates import parse_list
from inventory.models import Host
from tests.antivirus.replay import run_case

CASES = sorted(p for p in (Path(__file__).parent / "fixtures" / "dnf").iterdir() if p.is_dir())
HOST = Host(name="rhel-1", local=True, os="linux")
# Which recording answers which dnf command (the words after the options).
COMMANDS = {("check-update",): "check-update", ("updateinfo", "list"): "list", ("updateinfo", "info"): "info",
            ("needs-restarting",): "needs-restarting"}


class DnfReplay:
    def __init__(self, folder: Path):
        self.folder = folder

    def __call__(self, argv: Sequence[str], *, timeout: float, input: bytes | None = None,
                 env: Mapping[str, str] | None = None) -> CommandOutput:
        words = tuple(a for a in argv[1:] if not a.startswith("-"))
        stem = COMMANDS.get(words[:1]) or COMMANDS.get(words[:2])
        assert stem, f"unexpected dnf command {argv}"
        out = self.folder / f"{stem}.txt"
        if not out.exists():
            raise FileNotFoundError(argv[0])  # the command (plugin) is not installed
        rc, err = self.folder / f"{stem}.rc", self.folder / f"{stem}.stderr"
        return CommandOutput(tuple(argv), int(rc.read_text()) if rc.exists() else 0, out.read_bytes(),
                             err.read_bytes() if err.exists() else b"")


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_dnf_case(folder: Path) -> None:
    run_case(PatchesCollector(), folder, HOST, platform="linux", run=DnfReplay(folder), linux_manager="dnf")


def test_severity_and_advisory_join() -> None:
    folder = next(p for p in CASES if p.name == "rhel9_security_important")
    collector = PatchesCollector()
    params = collector.params_model.model_validate({"linux_manager": "dnf"})
    model = collector.parse(collector.fetch(HOST, params, CollectorIO(run=DnfReplay(folder), platform="linux",
                                                                      fs_root=folder / "no-such-root")))
    found = {u.name: (u.severity, u.security, u.advisory) for u in model.updates}
    assert found == {
        "open-vm-tools.x86_64": ("important", True, "RHSA-2023:5312"),
        "openssl.x86_64": ("moderate", True, "RHSA-2023:3722"),
        "openssl-libs.x86_64": ("critical", True, "RHSA-2023:1405"),  # the most severe of two advisories
        "tzdata.noarch": ("unspecified", False, "RHBA-2023:2163"),
        "vim-minimal.x86_64": ("low", True, "RHSA-2023:0957"),
    }
    assert model.reboot.required and model.reboot.reasons == ("kernel", "openssl-libs")


@pytest.mark.parametrize("line,expected", [
    ("FEDORA-2023-5d2ce7a9d7 Moderate/Sec.  curl-8.0.1-4.fc38.x86_64",
     [("FEDORA-2023-5d2ce7a9d7", "moderate", True, "curl-8.0.1-4.fc38.x86_64")]),
    ("ALSA-2024:0001 Important/Sec. kernel-5.14.0-362.13.1.el9_3.x86_64",
     [("ALSA-2024:0001", "important", True, "kernel-5.14.0-362.13.1.el9_3.x86_64")]),
    ("FEDORA-2023-abc enhancement foo-1-1.noarch", [("FEDORA-2023-abc", "unspecified", False, "foo-1-1.noarch")]),
    ("FEDORA-2023-def None/Sec. bar-1-1.noarch", [("FEDORA-2023-def", "unspecified", True, "bar-1-1.noarch")]),
    ("Last metadata expiration check: 0:10:47 ago on Tue 21 Nov 2023 10:00:00 AM UTC.", []),
], ids=["fedora", "alma", "enhancement", "security-without-severity", "metadata-banner"])
def test_list_lines(line: str, expected: list) -> None:
    assert parse_list(line) == expected
