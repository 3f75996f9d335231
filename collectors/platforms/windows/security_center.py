"""Windows Security Center (client editions only): root/SecurityCenter2 AntiVirusProduct.

Sample (Windows 10 with a third-party product, Windows PowerShell 5.1; one product is
printed as a bare object, several as an array)::

    [{"displayName": "Windows Defender", "productState": 393472, "pathToSignedProductExe": "windowsdefender://",
      "timestamp": "Wed, 22 Nov 2026 09:12:40 GMT"},
     {"displayName": "Kaspersky Endpoint Security for Windows", "productState": 266240, ...}]

``productState`` is undocumented outside an NDA; the decode below is the one published by
reverse engineering and confirmed on large fleets:
https://stackoverflow.com/questions/4700897/wmi-security-center-productstate-clarification
(bit set values seen on >10000 endpoints) and http://neophob.com/2010/03/wmi-query-windows-securitycenter2/.
Byte 2 (bits 16-23) is the WSC_SECURITY_PROVIDER set and is not needed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collectors.antivirus import AvProduct, ProductState, product_key, state_words
from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.messages import Messages
from collectors.platforms.windows.powershell import as_objects, decode_json, run_powershell

NAME = "security_center"
SCRIPT = ("$p = @(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct -ErrorAction Stop | "
          "Select-Object displayName, productState, pathToSignedProductExe, timestamp); "
          "if ($p.Count -eq 0) { '[]' } else { $p | ConvertTo-Json -Depth 3 }")

# Bits 12-15: the scanner state.
STATE_MASK, STATE_SHIFT = 0xF000, 12
STATES = {0x0: ProductState.OFF, 0x1: ProductState.ON, 0x2: ProductState.SNOOZED, 0x3: ProductState.EXPIRED}
# Bits 8-11: who makes the product.
OWNER_MASK, OWNER_SHIFT = 0x0F00, 8
OWNERS = {0x0: "third party", 0x1: "Microsoft"}
# Bits 4-7: signature status.
SIGNATURE_MASK, SIGNATURE_SHIFT = 0x00F0, 4
SIGNATURES_OUT_OF_DATE = {0x0: False, 0x1: True}


@dataclass(frozen=True, slots=True)
class DecodedState:
    state: ProductState
    owner: str
    signatures_out_of_date: bool | None


def decode_product_state(value: int) -> DecodedState:
    """productState -> (state, owner, signatures out of date); unknown nibbles stay unknown."""
    state = STATES.get((value & STATE_MASK) >> STATE_SHIFT, ProductState.UNKNOWN)
    owner = OWNERS.get((value & OWNER_MASK) >> OWNER_SHIFT, "unknown owner")
    out_of_date = SIGNATURES_OUT_OF_DATE.get((value & SIGNATURE_MASK) >> SIGNATURE_SHIFT)
    return DecodedState(state, owner, out_of_date)


def fetch(params: Any, io: CollectorIO) -> CommandOutput:
    return run_powershell(io, SCRIPT, timeout=params.command_timeout_s, what="Security Center",
                          executable=params.powershell, setting="powershell")


def parse(out: CommandOutput) -> tuple[AvProduct, ...]:
    what = "root/SecurityCenter2 AntiVirusProduct"
    products = []
    for obj in as_objects(decode_json(out, what), what):
        name = obj.get("displayName")
        value = obj.get("productState")
        if not isinstance(name, str) or not name.strip():
            raise ParseError(f"{what}: a product without displayName: {str(obj)[:80]}")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFFFF:
            raise ParseError(f"{what}: {name}: productState {value!r} is not a 24-bit integer")
        decoded = decode_product_state(value)
        is_defender = decoded.owner == "Microsoft" and "defender" in name.lower()
        products.append(AvProduct(
            name=name.strip(), source=NAME, state=decoded.state, owner=decoded.owner,
            key="microsoft-defender" if is_defender else product_key(name),
            mode=MSG.say("antivirus.wsc.mode", state=state_words(decoded.state), code=f"0x{value:06X}"),
            # "on" in Security Center means real-time scanning on: it has no separate flag.
            realtime=decoded.state is ProductState.ON if decoded.state is not ProductState.UNKNOWN else None,
            signatures_out_of_date=decoded.signatures_out_of_date,
            details=f"owner: {decoded.owner}; reported by Security Center at {obj.get('timestamp') or 'unknown time'}"))
    return tuple(products)


MSG = Messages({
    "antivirus.wsc.mode": "{state} (productState {code})",
})
