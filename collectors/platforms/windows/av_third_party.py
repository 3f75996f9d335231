"""Antivirus products Security Center cannot report (Windows Server): service state and signature file age.

Sample (Windows Server 2019, Windows PowerShell 5.1; Status is the ServiceControllerStatus
number, 4 = Running, 1 = Stopped)::

    [{"Name": "Trellix Endpoint Security", "Service": {"Name": "mfemms", "Status": 4, "StartType": 2},
      "Realtime": null,
      "Signature": {"FullName": "C:\\\\ProgramData\\\\McAfee\\\\...\\\\amcore.dat", "LastWriteTimeUtc": "/Date(1763790000000)/"}}]
"""

from __future__ import annotations

from typing import Any

from collectors.antivirus import AvProduct, ProductState, product_key
from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.messages import Messages
from collectors.platforms.windows.powershell import as_objects, decode_json, parse_ps_date, ps_quote, run_powershell

NAME = "windows_third_party"
# System.ServiceProcess.ServiceControllerStatus; PowerShell 7 with -EnumsAsStrings prints the names.
SERVICE_STATUS = {1: "Stopped", 2: "StartPending", 3: "StopPending", 4: "Running", 5: "ContinuePending",
                  6: "PausePending", 7: "Paused"}


def _quote(text: str) -> str:
    """A PowerShell single-quoted literal (no expansion; every quote character doubled)."""
    return ps_quote(text)


def _service(name: str | None) -> str:
    if not name:
        return "$null"
    return f"(Get-Service -Name {_quote(name)} -ErrorAction SilentlyContinue | Select-Object Name, Status, StartType)"


def script(products: list[Any]) -> str:
    rows = []
    for p in products:
        signature = "$null" if not p.signature_path else (
            f"(Get-ChildItem -Path {_quote(p.signature_path)} -File -ErrorAction SilentlyContinue | "
            "Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1 FullName, LastWriteTimeUtc)")
        rows.append(f"[pscustomobject]@{{ Name = {_quote(p.name)}; ServiceName = {_quote(p.service or '')}; "
                    f"Service = {_service(p.service)}; RealtimeName = {_quote(p.realtime_service or '')}; "
                    f"Realtime = {_service(p.realtime_service)}; SignaturePath = {_quote(p.signature_path or '')}; "
                    f"Signature = {signature} }}")
    return f"$r = @({', '.join(rows)}); ConvertTo-Json -InputObject $r -Depth 4"


def fetch(params: Any, io: CollectorIO) -> CommandOutput | None:
    products = [p for p in params.third_party if p.platform == "windows"]
    if not products:
        return None
    return run_powershell(io, script(products), timeout=params.command_timeout_s, what="third-party antivirus services",
                          executable=params.powershell, setting="powershell")


def _running(service: Any, what: str) -> bool | None:
    if service is None:
        return None
    if not isinstance(service, dict):
        raise ParseError(f"{what}: expected a service object, got {service!r}")
    status = service.get("Status")
    status = SERVICE_STATUS.get(status, status) if isinstance(status, int) else status
    return status == "Running"


def parse(out: CommandOutput | None) -> tuple[AvProduct, ...]:
    if out is None:
        return ()
    what = "third-party antivirus"
    products = []
    for obj in as_objects(decode_json(out, what), what):
        name = str(obj.get("Name") or "")
        if not name:
            raise ParseError(f"{what}: an entry without Name")
        running = _running(obj.get("Service"), name)
        sig = obj.get("Signature")
        updated = parse_ps_date(sig.get("LastWriteTimeUtc"), f"{name} signature date") if isinstance(sig, dict) else None
        service = str(obj.get("ServiceName") or "")
        if service and running is None:
            state, mode = ProductState.OFF, MSG.say("antivirus.third_party.service_missing", service=service)
        elif running is False:
            state, mode = ProductState.OFF, MSG.say("antivirus.third_party.service_stopped", service=service)
        else:
            state, mode = ProductState.ON, (MSG.say("antivirus.third_party.service_running", service=service) if running
                                            else MSG.say("antivirus.third_party.no_service"))
        realtime = _running(obj.get("Realtime"), name) if obj.get("RealtimeName") else None
        missing = (MSG.say("antivirus.third_party.no_signature_file", path=str(obj["SignaturePath"]))
                   if obj.get("SignaturePath") and updated is None else None)
        products.append(AvProduct(
            name=name, source=NAME, state=state, owner="third party", mode=mode, key=product_key(name),
            realtime=bool(realtime) if obj.get("RealtimeName") else None, signatures_updated=updated,
            signatures_missing=missing, signatures_checked=bool(obj.get("SignaturePath")),
            details=f"signature file {sig.get('FullName')}" if isinstance(sig, dict) else ""))
    return tuple(products)


MSG = Messages({
    "antivirus.third_party.service_missing": "service {service} not installed",
    "antivirus.third_party.service_stopped": "service {service} not running",
    "antivirus.third_party.service_running": "service {service} running",
    "antivirus.third_party.no_service": "no service configured",
    "antivirus.third_party.no_signature_file": "no signature file matches {path}",
})
