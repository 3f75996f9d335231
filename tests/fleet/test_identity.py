"""Machine identity: parsed from recorded files and PowerShell outputs (tests/fleet/fixtures/identity/SOURCE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.fleet.identity import (IdentityError, WINDOWS_SCRIPT, machine_identity, parse_machine_id, parse_uuid,
                                  parse_windows)
from collectors.base import CollectorIO, CommandOutput

FIXTURES = Path(__file__).parent / "fixtures" / "identity"


def no_commands(argv, timeout):  # Linux identity never runs a program
    raise AssertionError(f"unexpected command {argv}")


def linux_io(case: str) -> CollectorIO:
    return CollectorIO(run=no_commands, fs_root=FIXTURES / case, platform="linux")


def windows_io(sample: str | None, calls: list | None = None) -> CollectorIO:
    def run(argv, timeout):
        if calls is not None:
            calls.append(argv)
        if sample is None:
            raise FileNotFoundError(argv[0])
        return CommandOutput(tuple(argv), 0, (FIXTURES / "windows" / sample).read_bytes(), b"")

    return CollectorIO(run=run, platform="windows")


@pytest.mark.parametrize("case, machine_id, smbios", [
    ("linux-systemd", "3d1219c7c4c5404aaa1f6d2a48adfda4", "4c4c4544-0039-4b10-8031-b7c04f4a4432"),
    ("linux-dbus-only", "3d1219c7c4c5404aaa1f6d2a48adfda4", None),
], ids=["systemd-and-dmi", "dbus-only"])
def test_linux_identity(case, machine_id, smbios):
    ident = machine_identity(linux_io(case), hostname=lambda: "pc-0412")
    assert (ident.hostname, ident.machine_id, ident.smbios_uuid) == ("pc-0412", machine_id, smbios)


def test_golden_image_without_any_id_is_a_clear_error():
    with pytest.raises(IdentityError, match="systemd-machine-id-setup"):
        machine_identity(linux_io("linux-golden-image"), hostname=lambda: "pc")


@pytest.mark.parametrize("sample, machine_id, smbios", [
    ("dell-optiplex.json", "c7a7ae5d-3b48-4b8f-9a5c-2e5a0a6f7d11", "4c4c4544-0039-4b10-8031-b7c04f4a4432"),
    ("no-smbios-bom.json", "c7a7ae5d-3b48-4b8f-9a5c-2e5a0a6f7d11", None),
    ("vmware-no-guid.json", None, "0d977c6c-fa6c-27e6-6cfa-e6277070170e"),
], ids=["dell", "vm-no-smbios-bom", "vmware-no-machineguid"])
def test_windows_identity(sample, machine_id, smbios):
    calls: list = []
    ident = machine_identity(windows_io(sample, calls), hostname=lambda: "PC-0412")
    assert (ident.machine_id, ident.smbios_uuid) == (machine_id, smbios)
    assert calls and calls[0][0] == "powershell.exe" and calls[0][-1].endswith(WINDOWS_SCRIPT)


def test_windows_without_powershell_is_a_clear_error():
    with pytest.raises(IdentityError, match="PowerShell not found"):
        machine_identity(windows_io(None), hostname=lambda: "pc")


@pytest.mark.parametrize("stdout, reason", [
    (b"", "printed nothing"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"MachineGuid": ', "not complete JSON"),
], ids=["empty", "array", "cut-short"])
def test_windows_bad_output(stdout, reason):
    from collectors.base import ParseError

    with pytest.raises(ParseError, match=reason):
        parse_windows(CommandOutput(("powershell.exe",), 0, stdout, b""), "pc")


@pytest.mark.parametrize("text, expected", [
    ("3D1219C7C4C5404AAA1F6D2A48ADFDA4\n", "3d1219c7c4c5404aaa1f6d2a48adfda4"),
    ("", None), ("uninitialized\n", None), ("3d1219c7-c4c5", None),
])
def test_parse_machine_id(text, expected):
    assert parse_machine_id(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("{C7A7AE5D-3B48-4B8F-9A5C-2E5A0A6F7D11}", "c7a7ae5d-3b48-4b8f-9a5c-2e5a0a6f7d11"),
    ("Not Settable", None), ("  ", None), (None, None),
])
def test_parse_uuid(text, expected):
    assert parse_uuid(text) == expected


def test_long_hostname_is_cut_to_the_protocol_limit():
    assert len(machine_identity(linux_io("linux-systemd"), hostname=lambda: "x" * 300).hostname) == 128


def test_a_machine_id_set_by_hand_needs_no_readable_id():
    ident = machine_identity(linux_io("linux-golden-image"), hostname=lambda: "ct-1", override="Clone-7")
    assert (ident.machine_id, ident.smbios_uuid) == ("clone-7", None)
