"""Cleaning what firmware and devices say before it goes into a snapshot.

SMBIOS strings are filled by board makers, and many leave the template text in place.
Values seen in real dmidecode and WMI outputs (tests/assets/fixtures) that mean "not set"::

    To Be Filled By O.E.M.   Default string   System Serial Number   Not Specified
    0123456789   None   N/A   Not Available   Unknown   --   (only spaces)

Such a value becomes None: an archive that shows "To Be Filled By O.E.M." as a serial
would match every board of that maker as the same machine.
"""

from __future__ import annotations

import ipaddress
import re

_FILLER = frozenset(s.casefold() for s in (
    "To Be Filled By O.E.M.", "To be filled by O.E.M.", "Default string", "System Serial Number", "System Product Name",
    "System manufacturer", "System Version", "Base Board Serial Number", "Chassis Serial Number", "Not Specified",
    "Not Applicable", "Not Available", "Not Present", "Not Provided", "None", "N/A", "NA", "Unknown", "UNKNOWN",
    "Undefined", "Not Settable", "0123456789", "1234567890", "123456789", "OEM", "O.E.M.", "Default", "Empty", "Type2 - Board Serial Number",
    "--", "0", "NOT AVAILABLE", "No Asset Tag", "Invalid", "<BAD INDEX>", "<OUT OF SPEC>", "SerNum0",
    "SerNum1", "SerNum2", "SerNum3", "PartNum0", "PartNum1", "PartNum2", "PartNum3", "Manufacturer0", "Manufacturer1",
    "Manufacturer2", "Manufacturer3", "Module SerNo", "Array1_PartNumber0",
))
_ALL_SAME = re.compile(r"^(.)\1{3,}$")  # 00000000, FFFFFFFF, "        "


def clean(value: object) -> str | None:
    """``value`` as text without padding, or None when it says nothing."""
    if value is None:
        return None
    text = " ".join(str(value).split())  # padding and doubled spaces ("PROC  1 DIMM  1 ")
    if not text or text.casefold() in _FILLER or _ALL_SAME.match(text.replace(" ", "")) or text.startswith("<"):
        return None
    return text


def as_int(value: object) -> int | None:
    """A non-negative integer from an int or its decimal text; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def ip_interface(address: str, mask: str) -> str | None:
    """"192.0.2.10" with "255.255.255.0" or "24", or "fe80::1%eth0" with "ffff:ffff:ffff:ffff::"
    or "64" (Windows' IPSubnet), as address/prefix; None when either is not an address."""
    address = address.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(address)
        if not mask:
            return str(ip)
        prefix = mask if mask.isdigit() else str(bin(int(ipaddress.ip_address(mask))).count("1"))
        return str(ipaddress.ip_interface(f"{ip}/{prefix}"))
    except ValueError:
        return None
