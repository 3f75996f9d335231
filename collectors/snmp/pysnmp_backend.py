"""SNMP v2c and v3 through stock pysnmp 7, when asked for (``backend: pysnmp``).

The lean codec (ber.py, usm.py, v3.py) is the default for both versions; this backend is
the independent cross-check in tests (the same walk through both must be equal) and a
way out for an agent the lean codec cannot talk to, at ~20x the client CPU (pysnmp's
generic pyasn1 decoding). One SnmpEngine per v3 device client: USM users are keyed by name, and two devices
may share a user name with different keys. v2c through pysnmp (``backend="pysnmp"``, for
comparisons) shares one engine per event loop: building an engine costs ~0.1 s of CPU.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from collectors.snmp import ber
from collectors.snmp.client import SnmpError, SnmpTimeout, site_limiter

_AUTH = {"MD5": "USM_AUTH_HMAC96_MD5", "SHA": "USM_AUTH_HMAC96_SHA", "SHA224": "USM_AUTH_HMAC128_SHA224",
         "SHA256": "USM_AUTH_HMAC192_SHA256", "SHA384": "USM_AUTH_HMAC256_SHA384",
         "SHA512": "USM_AUTH_HMAC384_SHA512"}
# Patrol's names follow net-snmp's: AES192/AES256 extend the key as draft-blumenthal-aes-usm
# does (pysnmp's *_BLUMENTHAL), AES192C/AES256C as the Reeder draft (Cisco; pysnmp's plain
# USM_PRIV_CFB192_AES). Checked against net-snmp 5.9.3 snmpd in tests/snmp/test_v3.py.
_PRIV = {"DES": "USM_PRIV_CBC56_DES", "AES": "USM_PRIV_CFB128_AES", "AES192": "USM_PRIV_CFB192_AES_BLUMENTHAL",
         "AES256": "USM_PRIV_CFB256_AES_BLUMENTHAL", "AES192C": "USM_PRIV_CFB192_AES", "AES256C": "USM_PRIV_CFB256_AES"}


def _plain(value: Any) -> Any:
    """A pysnmp value as the plain Python value ber.py would give."""
    from pysnmp.proto import rfc1902, rfc1905
    from pyasn1.type import univ

    if isinstance(value, rfc1905.EndOfMibView):
        return ber.END_OF_MIB_VIEW
    if isinstance(value, rfc1905.NoSuchObject):
        return ber.NO_SUCH_OBJECT
    if isinstance(value, rfc1905.NoSuchInstance):
        return ber.NO_SUCH_INSTANCE
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(map(str, value.asNumbers()))
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(map(str, value.asTuple()))
    if isinstance(value, univ.OctetString):  # includes Opaque
        return value.asOctets()
    if isinstance(value, univ.Integer):  # Integer32, Counter32/64, Gauge32, TimeTicks, Unsigned32
        return int(value)
    if isinstance(value, univ.Null):
        return None
    raise SnmpError(f"unexpected SNMP value type {type(value).__name__}")


_shared_engines: dict[int, tuple[Any, Any]] = {}


def _shared_engine(hl: Any) -> Any:
    loop = asyncio.get_running_loop()
    entry = _shared_engines.get(id(loop))
    if entry is None or entry[0] is not loop:
        entry = _shared_engines[id(loop)] = (loop, hl.SnmpEngine())
    return entry[1]


class PysnmpTransport:
    def __init__(self, host: str, creds: Any, resolve_secret: Callable[[Any], str]):
        from pysnmp.hlapi.v3arch import asyncio as hl

        self.host, self.port = host, creds.port
        self.timeout, self.retries = creds.timeout_s, creds.retries
        self._hl = hl
        if creds.version == "2c":
            self._auth = hl.CommunityData(resolve_secret(creds.community), mpModel=1)
        else:
            kwargs: dict[str, Any] = {}
            if creds.auth_protocol:
                kwargs["authKey"] = resolve_secret(creds.auth_key)
                kwargs["authProtocol"] = getattr(hl, _AUTH[creds.auth_protocol])
            if creds.priv_protocol:
                kwargs["privKey"] = resolve_secret(creds.priv_key)
                kwargs["privProtocol"] = getattr(hl, _PRIV[creds.priv_protocol])
            self._auth = hl.UsmUserData(creds.user, **kwargs)
        self._context = hl.ContextData(contextName=creds.context or "")
        self._shared = creds.version == "2c"
        self._engine: Any = None
        self._target: Any = None
        self.received_bytes = 0

    async def connect(self) -> None:
        await self._open()

    async def _open(self) -> None:
        if self._engine is None:
            hl = self._hl
            self._engine = _shared_engine(hl) if self._shared else hl.SnmpEngine()
            try:
                self._target = await hl.UdpTransportTarget.create((self.host, self.port), timeout=self.timeout,
                                                                   retries=self.retries)
            except Exception as exc:
                raise SnmpError(f"cannot reach {self.host}:{self.port}: {exc}") from None

    async def request(self, pdu: int, oids: list[bytes], non_repeaters: int = 0,
                      max_repetitions: int = 0) -> tuple[int, int, list[tuple[bytes, Any]]]:
        await self._open()
        hl = self._hl
        objs = [hl.ObjectType(hl.ObjectIdentity(ber.decode_oid(oid))) for oid in oids]
        async with site_limiter():
            if pdu == ber.GETBULK:
                result = await hl.bulk_cmd(self._engine, self._auth, self._target, self._context,
                                           non_repeaters, max_repetitions, *objs, lookupMib=False)
            else:
                result = await hl.get_cmd(self._engine, self._auth, self._target, self._context, *objs,
                                          lookupMib=False)
        indication, status, index, varbinds = result
        if indication:
            text = str(indication)
            if "before timeout" in text or "timeout" in text.lower():
                raise SnmpTimeout(f"no SNMP answer from {self.host}:{self.port} within {self.timeout:g} s "
                                  f"x {self.retries + 1} tries: host down, wrong credentials or ACL?")
            raise SnmpError(f"SNMP request to {self.host}:{self.port} failed: {text}")
        out = [(ber.encode_oid(str(name)), _plain(value)) for name, value in varbinds]
        # pysnmp does not show the datagram: count what it decoded (the cap's order of magnitude)
        self.received_bytes += sum(len(oid) + (len(value) if isinstance(value, (bytes, str)) else 8)
                                   for oid, value in out)
        return int(status), int(index), out

    def close(self) -> None:
        if self._engine is not None and not self._shared:
            try:
                self._engine.close_dispatcher()
            except Exception:  # closing a dispatcher that never opened
                pass
        self._engine = None
