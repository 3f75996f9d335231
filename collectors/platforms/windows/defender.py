"""Microsoft Defender Antivirus on every Windows edition: Get-MpComputerStatus.

Sample (Windows 11 23H2, Windows PowerShell 5.1; dates as 5.1's ConvertTo-Json writes them)::

    {"AMRunningMode": "Normal", "AMServiceEnabled": true, "AntivirusEnabled": true,
     "RealTimeProtectionEnabled": true, "AntivirusSignatureAge": 0,
     "AntivirusSignatureLastUpdated": "/Date(1763802000000)/", "DefenderSignaturesOutOfDate": false,
     "QuickScanAge": 1, "FullScanAge": 4294967295, "IsTamperProtected": true, ...}

Field meanings: https://learn.microsoft.com/en-us/powershell/module/defender/get-mpcomputerstatus
and https://learn.microsoft.com/en-us/defender-endpoint/microsoft-defender-antivirus-compatibility
(AMRunningMode: Normal, Passive Mode, SxS Passive Mode, EDR Block Mode; "Not running").
"""

from __future__ import annotations

from typing import Any

from collectors.antivirus import AvProduct, ProductState
from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.messages import Messages, Said, as_param
from collectors.platforms.windows.powershell import (as_object, classify_error, decode_json, parse_ps_date,
                                                     run_powershell, stderr_text)

NAME = "defender"
PRODUCT = "Microsoft Defender Antivirus"
FIELDS = ("AMRunningMode", "AMServiceEnabled", "AntivirusEnabled", "RealTimeProtectionEnabled", "OnAccessProtectionEnabled",
          "AntivirusSignatureAge", "AntivirusSignatureLastUpdated", "AntivirusSignatureVersion",
          "DefenderSignaturesOutOfDate", "QuickScanAge", "FullScanAge", "IsTamperProtected", "AMProductVersion")
SCRIPT = f"Get-MpComputerStatus -ErrorAction Stop | Select-Object {', '.join(FIELDS)} | ConvertTo-Json -Depth 3"

# AMRunningMode -> our state. EDR Block Mode is shown both for passive Defender with EDR in
# block mode and for Normal Defender with EDR block enabled (MicrosoftDocs/microsoft-365-docs
# issue 9775): it is treated as passive, and as protecting only when nothing else is active
# and its own real-time protection is on (see ``fallback``).
RUNNING_MODES = {
    "normal": ProductState.ON,
    "passive mode": ProductState.PASSIVE,
    "passive": ProductState.PASSIVE,
    "sxs passive mode": ProductState.PASSIVE,
    "edr block mode": ProductState.PASSIVE,
    "not running": ProductState.OFF,
}
# Ages Defender reports when it does not know one: UINT16_MAX and UINT32_MAX mean "unknown
# or never" (a scan that never ran, signatures never updated; 65535 is also what a passive
# Defender that never updated shows), never a real number of days.
AGE_UNKNOWN = frozenset({65535, 4294967295})


def fetch(params: Any, io: CollectorIO) -> CommandOutput:
    return run_powershell(io, SCRIPT, timeout=params.command_timeout_s, what="Get-MpComputerStatus",
                          executable=params.powershell, setting="powershell")


def _bool(obj: dict[str, Any], key: str) -> bool | None:
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise ParseError(f"Get-MpComputerStatus: {key} is {value!r}, expected true/false")


def _int(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError(f"Get-MpComputerStatus: {key} is {value!r}, expected an integer")
    return value


def parse(out: CommandOutput) -> tuple[AvProduct, ...]:
    known = classify_error(stderr_text(out)) if not out.stdout.strip() else None
    if known == "cmdlet missing":
        return ()  # the Defender module is not installed (removed feature, old Server): no product
    if known == "Defender service not running":
        return (AvProduct(PRODUCT, NAME, ProductState.OFF, key="microsoft-defender", owner="Microsoft",
                          mode=MSG.say("antivirus.defender.service_stopped"), details="WinDefend service stopped or disabled"),)
    obj = as_object(decode_json(out, "Get-MpComputerStatus"), "Get-MpComputerStatus")
    av_enabled = _bool(obj, "AntivirusEnabled")
    service = _bool(obj, "AMServiceEnabled")
    raw_mode = obj.get("AMRunningMode")
    if raw_mode is not None and not isinstance(raw_mode, str):
        raise ParseError(f"Get-MpComputerStatus: AMRunningMode is {raw_mode!r}, expected text")
    # Before Windows 10 1703 / Server 2016 there is no AMRunningMode: the enabled flags decide.
    mode = raw_mode or ("Normal" if av_enabled else "Not running")
    state = RUNNING_MODES.get(mode.strip().lower(), ProductState.UNKNOWN)
    words = _mode_words(mode)
    if state is ProductState.ON and (av_enabled is False or service is False):
        state, words = ProductState.OFF, MSG.say("antivirus.defender.disabled", mode=as_param(words))
    realtime = _bool(obj, "RealTimeProtectionEnabled")

    updated = parse_ps_date(obj.get("AntivirusSignatureLastUpdated"), "AntivirusSignatureLastUpdated")
    age = _int(obj, "AntivirusSignatureAge")
    ages_unknown = updated is None and age in AGE_UNKNOWN
    # A stopped engine reports 4294967295 for every age (recorded: tests/antivirus/fixtures/
    # recorded/defender-not-running-en.txt): that says the engine is stopped, which the status
    # already reports, not that signatures were never updated. Nothing more is judged then.
    stopped_unknown = state is ProductState.OFF and ages_unknown
    missing = (MSG.say("antivirus.defender.never_updated", age=age)
               if ages_unknown and not stopped_unknown else None)
    if age in AGE_UNKNOWN:
        age = None
    scan_ages = [a for a in (_int(obj, "QuickScanAge"), _int(obj, "FullScanAge")) if a is not None and a not in AGE_UNKNOWN]
    details = "; ".join(filter(None, (
        f"AMRunningMode: {raw_mode}" if raw_mode else "AMRunningMode not reported (older Defender)",
        "engine stopped: signature and scan ages unknown" if stopped_unknown else "",
        f"signature version {obj['AntivirusSignatureVersion']}" if obj.get("AntivirusSignatureVersion") else "",
        f"tamper protection {'on' if obj.get('IsTamperProtected') else 'off'}" if obj.get("IsTamperProtected") is not None else "",
        f"product {obj['AMProductVersion']}" if obj.get("AMProductVersion") else "")))
    return (AvProduct(
        name=PRODUCT, source=NAME, state=state, key="microsoft-defender", owner="Microsoft", mode=words,
        fallback_active=mode.strip().lower() == "edr block mode" and bool(realtime) and av_enabled is not False,
        realtime=realtime, signatures_updated=updated,
        signature_age_days=float(age) if age is not None else None,
        signatures_out_of_date=_bool(obj, "DefenderSignaturesOutOfDate"), signatures_missing=missing,
        signatures_checked=not stopped_unknown, scan_known=not (stopped_unknown and not scan_ages),
        last_scan_age_days=float(min(scan_ages)) if scan_ages else None,
        details=details),)


# AMRunningMode as Windows prints it (Microsoft Learn, "Microsoft Defender Antivirus
# compatibility"), and the two Patrol says for an older Defender without it: these are known
# words, translated in reports; any other value is shown as Windows printed it.
_KNOWN_MODES = {"Normal": "normal", "Passive Mode": "passive", "SxS Passive Mode": "sxs_passive",
                "EDR Block Mode": "edr_block", "Not running": "not_running", "Passive": "passive_short"}


def _mode_words(mode: str) -> Said | str:
    key = _KNOWN_MODES.get(mode)
    return MSG.say(f"antivirus.defender.mode.{key}") if key else mode


MSG = Messages({
    **{f"antivirus.defender.mode.{key}": text for text, key in _KNOWN_MODES.items()},
    "antivirus.defender.disabled": "{mode}, antivirus disabled",
    "antivirus.defender.service_stopped": "service not running (0x800106BA)",
    "antivirus.defender.never_updated": "signatures never updated (AntivirusSignatureAge {age}: unknown or never)",
})
