"""Installed programs on Windows: the Uninstall registry keys that "Programs and Features" reads.

Three places (https://learn.microsoft.com/windows/win32/msi/uninstall-registry-key):
64-bit programs under HKLM\\SOFTWARE, 32-bit ones under HKLM\\SOFTWARE\\WOW6432Node, and
per-user installs (Teams, some Zoom/Chrome builds) under HKCU. Output of SCRIPT::

    [{"DisplayName":"Microsoft 365 Apps for enterprise - zh-cn","DisplayVersion":"16.0.17126.20132",
      "Publisher":"Microsoft Corporation","Hive":"HKLM64"},
     {"DisplayName":"7-Zip 23.01 (x64)","DisplayVersion":"23.01","Publisher":"Igor Pavlov","Hive":"HKLM64"}]

Entries without a DisplayName are components, not programs, and are left out by the script.
Run from 32-bit PowerShell, HKLM\\SOFTWARE is redirected to WOW6432Node and the same
entry appears twice: duplicates are merged.
"""

from __future__ import annotations

import re

from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.platforms.windows.powershell import as_objects, decode_json, run_powershell
from collectors.software import InstalledPackage, InstalledSoftware

WHAT = "Uninstall registry query"


def uninstall_rows(fields: str) -> str:
    """PowerShell setting ``$rows`` to the programs of the three Uninstall keys, with ``fields``
    (Select-Object names) and the hive label; the asset capture asks for InstallDate too."""
    return (
        "$keys = @(@('HKLM64','HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*'),"
        "@('HKLM32','HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*'),"
        "@('HKCU','HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*')); "
        "$rows = foreach ($k in $keys) { Get-ItemProperty -Path $k[1] -ErrorAction SilentlyContinue | "
        f"Where-Object {{ $_.DisplayName }} | Select-Object {fields},@{{n='Hive';e={{$k[0]}}}} }}; "
    )


SCRIPT = uninstall_rows("DisplayName,DisplayVersion,Publisher") + "ConvertTo-Json -InputObject @($rows) -Compress"


def fetch(io: CollectorIO, timeout: float) -> CommandOutput:
    return run_powershell(io, SCRIPT, timeout=timeout, what=WHAT)


def parse(output: CommandOutput) -> InstalledSoftware:
    seen: dict[tuple[str, str], InstalledPackage] = {}
    # Empty output is read as no programs, as an empty pipeline piped to ConvertTo-Json prints.
    for row in as_objects(decode_json(output, WHAT, allow_empty=True), WHAT):
        name = row.get("DisplayName")
        if not isinstance(name, str) or not name.strip():
            raise ParseError("Uninstall registry query: an entry without DisplayName")
        version = row.get("DisplayVersion")
        version = str(version).strip() if version is not None else ""
        key = (name.strip().casefold(), version)
        if key not in seen:
            seen[key] = InstalledPackage(name.strip(), version, str(row.get("Hive") or "registry"))
    return InstalledSoftware(platform="windows", source="Uninstall registry keys", version_scheme="dotted",
                             packages=tuple(seen.values()))


def dotted_compare(a: str, b: str) -> int:
    """Windows DisplayVersion: numbers separated by dots (16.0.17126.20132); missing parts are 0.

    Text in a version ("23.01 beta", "v2") is ignored apart from its numbers, which is how
    MSI orders ProductVersion too.
    """
    pa, pb = _numbers(a), _numbers(b)
    width = max(len(pa), len(pb))
    pa, pb = pa + (0,) * (width - len(pa)), pb + (0,) * (width - len(pb))
    return (pa > pb) - (pa < pb)


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))
