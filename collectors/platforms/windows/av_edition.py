"""Detect step for Windows: client or Server edition (Server has no Security Center).

Sample (Windows Server 2019, Windows PowerShell 5.1)::

    {"Caption": "Microsoft Windows Server 2019 Standard", "ProductType": 3, "Version": "10.0.17763"}
"""

from __future__ import annotations

from collectors.base import CollectorIO, CommandOutput, FetchError, ParseError
from collectors.platforms.windows.powershell import as_object, decode_json, run_powershell

SCRIPT = ("Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop | "
          "Select-Object Caption, ProductType, Version | ConvertTo-Json -Depth 2")

# Win32_OperatingSystem.ProductType: 1 work station, 2 domain controller, 3 server.
PRODUCT_TYPES = {1: "client", 2: "server", 3: "server"}


def parse_edition(out: CommandOutput) -> str:
    obj = as_object(decode_json(out, "Win32_OperatingSystem"), "Win32_OperatingSystem")
    product_type = obj.get("ProductType")
    try:
        return PRODUCT_TYPES[product_type]
    except (KeyError, TypeError):
        raise ParseError(f"Win32_OperatingSystem: unexpected ProductType {product_type!r}") from None


def detect_edition(params, io: CollectorIO) -> str:  # params: AntivirusParams (or any with powershell settings)
    out = run_powershell(io, SCRIPT, timeout=params.command_timeout_s, what="Windows edition",
                         executable=params.powershell, setting="powershell")
    try:
        return parse_edition(out)
    except ParseError as exc:
        raise FetchError(f"cannot tell the Windows edition: {exc}") from None
