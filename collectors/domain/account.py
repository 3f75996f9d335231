"""The service account's state from its AD attributes (userAccountControl, password expiry, lockout); pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone

from collectors.base import ParseError
from collectors.domain.model import AccountInfo

# userAccountControl flags (MS-ADTS 2.2.16)
UF_ACCOUNTDISABLE = 0x2
UF_LOCKOUT = 0x10
UF_DONT_EXPIRE_PASSWD = 0x10000
UF_PASSWORD_EXPIRED = 0x800000
_FILETIME_NEVER = 0x7FFFFFFFFFFFFFFF
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)


def filetime(value: str) -> datetime | None:
    """AD 100-ns intervals since 1601 ("134434220640655070") -> datetime; None for 0 / never."""
    number = int(value)
    if number in (0, _FILETIME_NEVER):
        return None
    return _FILETIME_EPOCH + timedelta(microseconds=number // 10)


def parse_account(attrs: Mapping[str, Sequence[str]]) -> AccountInfo:
    def first(name: str) -> str | None:
        for key, values in attrs.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None

    try:
        uac = int(first("userAccountControl") or 0)
        expiry = first("msDS-UserPasswordExpiryTimeComputed")
        expires_at = filetime(expiry) if expiry is not None and not uac & UF_DONT_EXPIRE_PASSWD else None
        lockout = int(first("lockoutTime") or 0)
    except ValueError as exc:
        raise ParseError(f"account attributes are not numbers where AD has numbers: {exc}") from None
    return AccountInfo(disabled=bool(uac & UF_ACCOUNTDISABLE), locked=bool(uac & UF_LOCKOUT) or lockout > 0,
                       password_expired=bool(uac & UF_PASSWORD_EXPIRED), password_expires_at=expires_at)
