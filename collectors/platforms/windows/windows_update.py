"""Windows Update Agent (WUA) COM API through PowerShell: missing updates, last install, pending reboot.

One script prints one JSON object. Sample (Windows Server 2022, Windows PowerShell 5.1,
shortened)::

    {"Offline": false, "SearchResultCode": 2, "SearchError": null,
     "Updates": [{"Title": "2026-11 Cumulative Update for ...", "KB": ["5070000"], "MsrcSeverity": "Critical",
                  "LastDeploymentChangeTime": "/Date(1762819200000)/", "Categories": ["Security Updates"]}],
     "LastSuccess": "/Date(1760000000000)/", "HistoryError": null,
     "Reboot": {"CbsRebootPending": false, "WuRebootRequired": true, "PendingFileRenameOperations": false}}

API: https://learn.microsoft.com/en-us/windows/win32/api/wuapi/nn-wuapi-iupdatesearcher
(Search criteria, QueryHistory), IUpdate.MsrcSeverity ("Critical", "Important",
"Moderate", "Low" or empty), OperationResultCode (2 succeeded, 3 succeeded with errors),
offline scan: IUpdateServiceManager.AddScanPackageService with wsusscn2.cab and
ServerSelection 3 (ssOthers).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.messages import Messages, Said
from collectors.patches import SEVERITIES, InstalledUpdate, PatchReport, PendingUpdate, RebootState
from collectors.platforms.windows.powershell import (as_object, as_objects, decode_json, parse_ps_date, ps_quote,
                                                     run_powershell)

SCRIPT = r"""
$ErrorActionPreference = 'Stop'
$out = [ordered]@{ Offline = $false; SearchResultCode = $null; SearchError = $null; Updates = @();
                   LastSuccess = $null; HistoryError = $null; Reboot = $null; Hotfixes = $null; HotfixError = $null }
$session = New-Object -ComObject Microsoft.Update.Session
$searcher = $session.CreateUpdateSearcher()
try {
  if (__CAB__) {
    $out.Offline = $true
    $service = (New-Object -ComObject Microsoft.Update.ServiceManager).AddScanPackageService('Patrol offline scan', __CAB__, 1)
    $searcher.ServerSelection = 3
    $searcher.ServiceID = $service.ServiceID
  }
  $result = $searcher.Search(__CRITERIA__)
  $out.SearchResultCode = [int]$result.ResultCode
  $out.Updates = @($result.Updates | ForEach-Object { [ordered]@{
      Title = $_.Title; KB = @($_.KBArticleIDs); MsrcSeverity = $_.MsrcSeverity;
      LastDeploymentChangeTime = $_.LastDeploymentChangeTime; Categories = @($_.Categories | ForEach-Object { $_.Name }) } })
} catch {
  $out.SearchError = [ordered]@{ HResult = ('0x{0:X8}' -f $_.Exception.HResult); Message = $_.Exception.Message }
}
if ($out.SearchError -or ($out.SearchResultCode -ne 2 -and $out.SearchResultCode -ne 3)) {
  # Fallback when the search cannot run: the installed hotfixes, dates as Windows stores them.
  try { $out.Hotfixes = @(Get-CimInstance -ClassName Win32_QuickFixEngineering -ErrorAction Stop |
                          ForEach-Object { [ordered]@{ HotFixID = $_.HotFixID; InstalledOn = [string]$_.InstalledOn } }) }
  catch { $out.HotfixError = ('0x{0:X8} {1}' -f $_.Exception.HResult, $_.Exception.Message) }
}
try {
  $count = $searcher.GetTotalHistoryCount()
  if ($count -gt 0) {
    $last = $searcher.QueryHistory(0, [Math]::Min($count, __HISTORY__)) |
      Where-Object { $_.Operation -eq 1 -and ($_.ResultCode -eq 2 -or $_.ResultCode -eq 3) } |
      Sort-Object Date -Descending | Select-Object -First 1
    if ($last) { $out.LastSuccess = $last.Date }
  }
} catch { $out.HistoryError = ('0x{0:X8} {1}' -f $_.Exception.HResult, $_.Exception.Message) }
$sm = Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -Name PendingFileRenameOperations -ErrorAction SilentlyContinue
$out.Reboot = [ordered]@{
  CbsRebootPending = Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'
  WuRebootRequired = Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired'
  PendingFileRenameOperations = [bool]($sm -and $sm.PendingFileRenameOperations) }
ConvertTo-Json -InputObject $out -Depth 5
"""

# The WUA errors seen in the field, by what an engineer does about them
# (https://learn.microsoft.com/en-us/windows/deployment/update/windows-update-error-reference).
WUA_ERRORS = {
    "0x8024402C": "WU_E_PT_WINHTTP_NAME_NOT_RESOLVED: the update server name does not resolve (proxy or DNS settings)",
    "0x8024401C": "WU_E_PT_HTTP_STATUS_REQUEST_TIMEOUT: the update server did not answer in time",
    "0x80244022": "WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL: the update server answered 503 (WSUS overloaded or stopped)",
    "0x80244019": "WU_E_PT_HTTP_STATUS_NOT_FOUND: the update server answered 404 (wrong WSUS URL)",
    "0x8024401B": "WU_E_PT_HTTP_STATUS_PROXY_AUTH_REQ: the proxy wants authentication",
    "0x80240438": "WU_E_PT_ENDPOINT_UNREACHABLE: no route to the update service",
    "0x8024500C": "WU_E_REDIRECTOR_CONNECT_POLICY: a policy blocks access to Windows Update",
    "0x8024002E": "WU_E_WU_DISABLED: access to Windows Update is disabled by policy",
    "0x8024001E": "WU_E_SERVICE_STOP: the Windows Update service was stopping",
    "0x80070422": "the Windows Update service (wuauserv) is disabled",
    "0x80072EE2": "ERROR_INTERNET_TIMEOUT: no answer from the update server",
    "0x80072EFD": "ERROR_INTERNET_CANNOT_CONNECT: cannot connect to the update server",
    "0x80070005": "access denied: the agent must run as an administrator or SYSTEM",
    "0x80070002": "file not found: the offline scan file (wsusscn2.cab) is missing",
    "0x80244010": "WU_E_PT_EXCEEDED_MAX_SERVER_TRIPS: too many round trips to the update server",
}
# OperationResultCode of the search: 2 succeeded, 3 succeeded with errors, 4 failed, 5 aborted.
SEARCH_OK = {2, 3}
KB = re.compile(r"\d+")


def _quote(text: str) -> str:
    return ps_quote(text)


def script(params: Any) -> str:
    cab = params.windows.offline_cab
    return (SCRIPT.replace("__CAB__", _quote(cab) if cab else "$false")
            .replace("__CRITERIA__", _quote(params.windows.criteria))
            .replace("__HISTORY__", str(params.windows.history_entries)))


def fetch(params: Any, io: CollectorIO) -> CommandOutput:
    return run_powershell(io, script(params), timeout=params.command_timeout_s, what="Windows Update search",
                          executable=params.windows.powershell, setting="windows.powershell")


def _severity(value: Any) -> str:
    text = (value or "").strip().lower() if isinstance(value, str) or value is None else None
    if text is None:
        raise ParseError(f"Windows Update: MsrcSeverity {value!r} is not text")
    return text if text in SEVERITIES else "unspecified"


def search_error(obj: dict[str, Any]) -> Said | None:
    err = obj.get("SearchError")
    if err:
        if not isinstance(err, dict):
            raise ParseError(f"Windows Update: SearchError is {err!r}")
        code = str(err.get("HResult") or "").upper().replace("0X", "0x")
        # Patrol's explanation of a known code (translated), else Windows' own message (data).
        message = " ".join(str(err.get("Message") or "").split())[:160]
        meaning = (MSG.ref(f"patches.wu.error.{code}") if code in WUA_ERRORS
                   else message or MSG.ref("patches.wu.no_message"))
        return MSG.say("patches.wu.search_failed", code=code, meaning=meaning)
    result_code = obj.get("SearchResultCode")
    if result_code not in SEARCH_OK:
        return MSG.say("patches.wu.search_not_ok", code=repr(result_code))
    return None


# Win32_QuickFixEngineering.InstalledOn is a string in whatever form Windows wrote it: "11/12/2026"
# (M/d/yyyy, the usual one), the machine's regional form ("12.11.2026", "2026/11/12",
# "12/11/2026" on en-GB), or a hex FILETIME on old systems ("01d7c0a2b3c4d5e6"). Get-HotFix
# parses it with the current culture and fails or swaps day and month on many locales, so the
# raw string is read here. One machine writes one form: an unambiguous date in the list
# (a day above 12) tells how to read the ambiguous ones; otherwise month first.
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})")
_SLASHED = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})")
_FILETIME = re.compile(r"^[0-9a-fA-F]{16}$")


def _day_first(values: list[str]) -> bool:
    for text in values:
        match = _SLASHED.match(text.strip())
        if match and int(match[1]) > 12:
            return True
        if match and int(match[2]) > 12:
            return False
    return False


def parse_installed_on(text: str, day_first: bool) -> datetime | None:
    text = text.strip()
    try:
        if _FILETIME.match(text):
            ticks = int(text, 16)
            return datetime(1601, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=ticks // 10) if ticks else None
        if match := _YMD.match(text):
            return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=timezone.utc)
        if match := _DOTTED.match(text):
            return datetime(int(match[3]), int(match[2]), int(match[1]), tzinfo=timezone.utc)
        if match := _SLASHED.match(text):
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            day, month = (first, second) if day_first or first > 12 else (second, first)
            return datetime(year, month, day, tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None
    return None


def newest_hotfix(obj: dict[str, Any]) -> InstalledUpdate | None:
    rows = [h for h in as_objects(obj.get("Hotfixes"), "Win32_QuickFixEngineering") if isinstance(h.get("InstalledOn"), str)]
    day_first = _day_first([h["InstalledOn"] for h in rows])
    dated = [(when, str(h.get("HotFixID") or "?")) for h in rows
             if (when := parse_installed_on(h["InstalledOn"], day_first)) is not None]
    if not dated:
        return None
    when, hotfix = max(dated)
    return InstalledUpdate(hotfix, when, MSG.say("patches.wu.newest_hotfix", n=len(dated)))


def parse(out: CommandOutput) -> PatchReport:
    what = "Windows Update"
    obj = as_object(decode_json(out, what), what)
    error = search_error(obj)
    updates = []
    if error is None:
        for u in as_objects(obj.get("Updates"), f"{what} Updates"):
            categories = [c for c in (u.get("Categories") or []) if isinstance(c, str)]
            severity = _severity(u.get("MsrcSeverity"))
            kbs = [k for k in (u.get("KB") or []) if isinstance(k, (str, int)) and KB.fullmatch(str(k))]
            updates.append(PendingUpdate(
                name=str(u.get("Title") or "(untitled update)"), severity=severity,
                # MsrcSeverity is set only on security bulletins; the category says it for the rest.
                security=severity != "unspecified" or any("security" in c.lower() for c in categories),
                kb=str(kbs[0]) if kbs else "",
                released=parse_ps_date(u.get("LastDeploymentChangeTime"), f"{what} release date")))
    reboot_obj = obj.get("Reboot")
    if isinstance(reboot_obj, dict):
        reasons = tuple(reason for key, reason in (
            ("CbsRebootPending", "Component Based Servicing RebootPending"),
            ("WuRebootRequired", "WindowsUpdate Auto Update RebootRequired"),
            ("PendingFileRenameOperations", "Session Manager PendingFileRenameOperations")) if reboot_obj.get(key) is True)
        last = parse_ps_date(obj.get("LastSuccess"), "last install")
        reboot = RebootState(bool(reasons), since=last if reasons else None, reasons=reasons,
                             since_note=MSG.say("patches.wu.since_last_install") if reasons and last else "")
    else:
        reboot = RebootState(None, reasons=("the reboot registry keys were not reported",))
    notes = ("offline scan against wsusscn2.cab",) if obj.get("Offline") else ()
    if obj.get("HistoryError"):
        notes += (f"install history not readable: {obj['HistoryError']}",)
    if obj.get("HotfixError"):
        notes += (f"installed hotfixes not readable: {obj['HotfixError']}",)
    return PatchReport("windows_update", tuple(updates), parse_ps_date(obj.get("LastSuccess"), "last install"),
                       MSG.say("patches.wu.last_install"), reboot, error, notes,
                       newest_installed=newest_hotfix(obj) if error is not None else None)


MSG = Messages({
    "patches.wu.search_failed": "Windows Update search failed with {code}: {meaning}",
    "patches.wu.search_not_ok": "Windows Update search did not succeed (OperationResultCode {code})",
    "patches.wu.no_message": "no message",
    **{f"patches.wu.error.{code}": meaning for code, meaning in WUA_ERRORS.items()},
    "patches.wu.since_last_install": "counted from the last successful install",
    "patches.wu.last_install": "last successful update install",
    "patches.wu.newest_hotfix": "newest of {n} installed hotfixes (Win32_QuickFixEngineering)",
})
