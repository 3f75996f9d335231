"""Broken PowerShell output becomes UNKNOWN with a clear reason, through the real runner."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from agent.runner import CheckJob, Runner
from collectors.antivirus import AntivirusCollector
from collectors.base import CollectorIO, CommandOutput, State
from collectors.patches import PatchesCollector
from inventory.models import Host

HOST = Host(name="srv-1", local=True, os="windows")
EDITION_SERVER = b'{"Caption": "Microsoft Windows Server 2019 Standard", "ProductType": 3, "Version": "10.0.17763"}'


def runner_answering(stdout: bytes | Exception, stderr: bytes = b"", rc: int = 0):
    """A command runner that answers the edition query properly and every other script with ``stdout``."""

    def run(argv: Sequence[str], *, timeout: float, input: bytes | None = None,
            env: Mapping[str, str] | None = None) -> CommandOutput:
        if "Win32_OperatingSystem" in argv[-1]:
            return CommandOutput(tuple(argv), 0, EDITION_SERVER, b"")
        if isinstance(stdout, Exception):
            raise stdout
        return CommandOutput(tuple(argv), rc, stdout, stderr)

    return run


BAD = [
    ("truncated-json", b'{\r\n    "AMRunningMode":  "Normal",\r\n    "AntivirusEnabled":  tr', b"", 0, "not complete JSON"),
    ("empty-output", b"", b"", 0, "printed nothing"),
    ("whitespace-only", b"\r\n\r\n", b"", 0, "printed nothing"),
    ("unexpected-type-string", b'"Normal"', b"", 0, "expected JSON objects"),
    ("unexpected-type-number", b"42", b"", 0, "expected JSON objects"),
    ("field-of-wrong-type", b'{"AMRunningMode": "Normal", "AntivirusEnabled": "yes"}', b"", 0, "AntivirusEnabled is 'yes'"),
    ("non-utf8-gbk", '{"AMRunningMode": "正常"}'.encode("gbk"), b"", 0, "not UTF-8"),
    ("access-denied", b"", b"Get-MpComputerStatus : Access denied\r\nHRESULT 0x80070005", 1, "access denied"),
    ("two-objects", b'[{"AMRunningMode": "Normal"}, {"AMRunningMode": "Normal"}]', b"", 0, "expected one JSON object, got 2"),
]


def _run(collector, io: CollectorIO):
    params = collector.params_model()
    runner = Runner(io, concurrency=1)
    try:
        return asyncio.run(runner.run_job(CheckJob(collector, HOST, params)))
    finally:
        runner.close()


@pytest.mark.parametrize("stdout,stderr,rc,reason", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_antivirus_bad_defender_output(stdout: bytes, stderr: bytes, rc: int, reason: str) -> None:
    run = _run(AntivirusCollector(), CollectorIO(run=runner_answering(stdout, stderr, rc), platform="windows"))
    unknown = [r for r in run.results if r.state is State.UNKNOWN]
    assert any(r.check == "antivirus.source" and r.item == "defender" and reason in r.summary for r in unknown), \
        [(r.check, r.item, r.summary) for r in run.results]
    assert not any(r.state is State.OK and r.check == "antivirus.present" for r in run.results)


@pytest.mark.parametrize("stdout,stderr,rc,reason", [b[1:] for b in BAD if b[0] not in ("field-of-wrong-type",)],
                         ids=[b[0] for b in BAD if b[0] not in ("field-of-wrong-type",)])
def test_patches_bad_windows_update_output(stdout: bytes, stderr: bytes, rc: int, reason: str) -> None:
    run = _run(PatchesCollector(), CollectorIO(run=runner_answering(stdout, stderr, rc), platform="windows"))
    assert [r.state for r in run.results] == [State.UNKNOWN]
    assert reason.replace("JSON objects", "JSON object") in run.results[0].summary or reason in run.results[0].summary, \
        run.results[0].summary


@pytest.mark.parametrize("error,reason", [
    (FileNotFoundError("powershell.exe"), "PowerShell not found"),
    (TimeoutError("x"), "did not finish within"),
], ids=["no-powershell", "timeout"])
def test_cannot_run_powershell(error: Exception, reason: str) -> None:
    for collector in (AntivirusCollector(), PatchesCollector()):
        def run(argv, *, timeout, input=None, env=None):
            raise error
        result = _run(collector, CollectorIO(run=run, platform="windows"))
        assert [r.state for r in result.results] == [State.UNKNOWN], result.results
        assert reason in result.results[0].summary


@pytest.mark.parametrize("stderr,reason", [
    (b"Get-CimInstance : Invalid namespace \r\n+ FullyQualifiedErrorId : HRESULT 0x8004100e,Microsoft.Management."
     b"Infrastructure.CimCmdlets.GetCimInstanceCommand\r\n", "WMI namespace missing: Get-CimInstance : Invalid namespace"),
    (b"Get-CimInstance : Zugriff verweigert \r\n+ FullyQualifiedErrorId : HRESULT 0x80041003\r\n", "access denied"),
    (b"Get-CimInstance : Fehler beim Abrufen\r\n", "root/SecurityCenter2 AntiVirusProduct: Get-CimInstance : Fehler beim Abrufen"),
], ids=["namespace-missing", "access-denied-de", "unknown-localized-error"])
def test_security_center_cannot_be_read_on_a_client(stderr: bytes, reason: str) -> None:
    client = b'{"Caption": "Microsoft Windows 10 Pro", "ProductType": 1, "Version": "10.0.19045"}'

    def run(argv, *, timeout, input=None, env=None):
        script = argv[-1]
        if "Win32_OperatingSystem" in script:
            return CommandOutput(tuple(argv), 0, client, b"")
        if "SecurityCenter2" in script:
            return CommandOutput(tuple(argv), 1, b"", stderr)
        return CommandOutput(tuple(argv), 0, b'{"AMRunningMode": "Normal", "AntivirusEnabled": true, '
                                            b'"RealTimeProtectionEnabled": true, "AntivirusSignatureAge": 0}', b"")

    run_ = _run(AntivirusCollector(), CollectorIO(run=run, platform="windows"))
    by_key = {(r.check, r.item): r for r in run_.results}
    source = by_key[("antivirus.source", "security_center")]
    assert source.state is State.UNKNOWN and reason in source.summary, source.summary
    assert by_key[("antivirus.status", "Microsoft Defender Antivirus")].state is State.OK
