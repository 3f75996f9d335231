"""Domain trust, domain login and shares (checklist item 6).

Two independent parts, each switched on by configuration:

- membership: this computer's own view of its domain (Windows secure channel; Linux
  realmd/sssd/winbind). The source is chosen by ``io.platform`` from
  collectors/platforms/<platform>/domain.py; this module only evaluates what it returns.
- login: with a read-only service account, what a user's logon does: a Kerberos TGT
  (``kinit`` with a private krb5.conf and credential cache), an LDAP simple bind and a
  search of the account, and each configured share opened and listed over SMB. The DC's
  clock is read from the LDAP rootDSE (``currentTime``, readable before any bind) and
  compared with ours: Kerberos refuses logons beyond 5 minutes of skew.

fetch records what each server answered (result codes, NTSTATUS values, kinit's message);
parse classifies those into outcomes with messages an engineer understands; evaluate maps
them to states with the thresholds from the settings. The password is resolved at the
last moment, given to kinit on stdin (never argv), and scrubbed from every text kept.
"""

from __future__ import annotations

import ipaddress
import math
import logging
import re
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from collectors.base import CheckResult, CollectorIO, FetchError, Metric, ParseError, State, threshold_state
from config.checks.domain import DomainParams, split_unc
from config.secrets import SecretUnavailable
from inventory.models import Host, Inventory

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- models

@dataclass(frozen=True, slots=True)
class MembershipStatus:
    """One aspect of this computer's membership, as a platform source reports it.

    ``healthy`` is True/False, or None when the source could not tell (UNKNOWN).
    ``aspect`` becomes the check name: domain.<aspect> (secure_channel, realm, sssd, winbind).
    """

    aspect: str
    item: str
    healthy: bool | None
    summary: str


@dataclass(frozen=True, slots=True)
class KinitRaw:
    """What ``kinit`` printed (stdout and stderr, scrubbed), or why it did not run."""

    returncode: int | None
    output: str
    error: str | None = None  # "not_installed" | "timeout"
    timeout_s: float = 0.0


@dataclass(frozen=True, slots=True)
class LdapRaw:
    """How far the LDAP exchange got: ``phase`` is connect, tls, rootdse, bind, search or done."""

    server: str
    phase: str
    error_type: str | None = None
    result_code: int | None = None
    message: str = ""
    current_time: str | None = None  # rootDSE currentTime, GeneralizedTime: "20261122035449.0Z"
    local_before: datetime | None = None  # our clock just before and after the rootDSE read
    local_after: datetime | None = None
    account: Mapping[str, tuple[str, ...]] | None = None  # the account entry's attributes as text


@dataclass(frozen=True, slots=True)
class ShareRaw:
    unc: str
    phase: str  # connect, login, tree, open, list, done
    error_type: str | None = None
    status: int | None = None  # NTSTATUS from the server
    message: str = ""
    entries: int | None = None


@dataclass(frozen=True, slots=True)
class DomainRaw:
    realm: str | None
    dc: str | None
    username: str | None
    membership_platform: str | None = None  # which platform module fetched membership_raw
    membership_raw: Any = None
    membership_error: str | None = None  # why the membership source could not be read
    kerberos: KinitRaw | None = None
    ldap: LdapRaw | None = None
    shares: tuple[ShareRaw, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """One classified step: ``kind`` ok or a failure kind; ``message`` for the engineer."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class AccountInfo:
    disabled: bool
    locked: bool
    password_expired: bool
    password_expires_at: datetime | None  # None: never expires (or not readable)


@dataclass(frozen=True, slots=True)
class DomainModel:
    realm: str | None
    dc: str | None
    username: str | None
    membership: tuple[MembershipStatus, ...] | None
    kerberos: Outcome | None
    ldap: Outcome | None
    account: AccountInfo | None
    skew_s: float | None  # DC clock minus ours; positive: the DC is ahead
    shares: tuple[tuple[str, Outcome], ...] = field(default=())


# ---------------------------------------------------------------- parse: Kerberos (pure)

# MIT kinit's messages (krb5 error table), as printed to stderr, e.g.
#   "kinit: Password incorrect while getting initial credentials"
#   "kinit: Client's credentials have been revoked while getting initial credentials"
#   "kinit: Client 'x@EX.TEST' not found in Kerberos database while getting initial credentials"
#   "kinit: Cannot contact any KDC for realm 'EX.TEST' while getting initial credentials"
#   "kinit: Clock skew too great while getting initial credentials"
# (recorded against the Samba AD DC of tests/domain). Heimdal says "Preauthentication failed".
KINIT_MESSAGES: tuple[tuple[str, str, str], ...] = (
    ("Password incorrect", "wrong_password", "wrong password for {user}"),
    ("Preauthentication failed", "wrong_password", "wrong password for {user}"),
    ("credentials have been revoked", "disabled",
     "the KDC refused {user}: credentials have been revoked (account disabled or locked out)"),
    ("not found in Kerberos database", "unknown_user", "account {user} does not exist in realm {realm}"),
    ("Password has expired", "password_expired", "the password of {user} has expired"),
    ("Password expired", "password_expired", "the password of {user} has expired"),
    ("Clock skew too great", "skew", "clock skew too great: this computer's clock differs from the DC's by more than "
                                     "the KDC allows (5 minutes by default)"),
    ("Cannot contact any KDC", "unreachable", "KDC unreachable: no answer from {dc} for realm {realm}"),
    ("Cannot resolve network address", "unreachable", "KDC unreachable: cannot resolve {dc}"),
    ("Cannot find KDC", "unreachable", "KDC unreachable: no KDC known for realm {realm}"),
)


def parse_kinit(raw: KinitRaw, user: str, realm: str, dc: str) -> Outcome:
    fmt = {"user": f"{user}@{realm}", "realm": realm, "dc": dc}
    if raw.error == "not_installed":
        return Outcome("not_installed", "kinit is not installed (Debian: krb5-user; set checks.domain.kinit, "
                                        "or kerberos: auto to test Kerberos only where kinit exists)")
    if raw.error == "timeout":
        return Outcome("timeout", f"KDC unreachable: kinit got no answer from {dc} within {raw.timeout_s:g} s")
    if raw.returncode == 0:
        return Outcome("ok", f"Kerberos ticket (TGT) for {fmt['user']} from {dc}")
    for needle, kind, message in KINIT_MESSAGES:
        if needle.lower() in raw.output.lower():
            return Outcome(kind, message.format(**fmt))
    last = raw.output.strip().splitlines()[-1] if raw.output.strip() else f"exit status {raw.returncode}"
    return Outcome("failed", f"kinit failed: {last.removeprefix('kinit: ')[:200]}")


# ---------------------------------------------------------------- parse: LDAP (pure)

# Active Directory's bind diagnostic carries the Win32 reason as "data <hex>":
#   "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1"
# (recorded against Samba; the codes are Windows' ERROR_* values, listed in
# https://learn.microsoft.com/en-us/troubleshoot/windows-server/active-directory/ldap-error-code-49)
AD_BIND_REASONS: dict[str, tuple[str, str]] = {
    "525": ("unknown_user", "account {user} does not exist"),
    "52e": ("wrong_password", "wrong password for {user}"),
    "530": ("not_permitted", "{user} may not log on at this time"),
    "531": ("not_permitted", "{user} may not log on from this computer"),
    "532": ("password_expired", "the password of {user} has expired"),
    "533": ("disabled", "account {user} is disabled (credentials have been revoked)"),
    "701": ("account_expired", "account {user} has expired"),
    "773": ("must_change_password", "{user} must change the password before logging on"),
    "775": ("locked", "account {user} is locked out"),
}
_AD_DATA = re.compile(r"\bdata ([0-9a-f]{3,8})\b", re.I)

_LDAP_ERRORS: dict[str, tuple[str, str]] = {
    "LDAPSocketOpenError": ("unreachable", "LDAP server {server} unreachable"),
    "LDAPSocketReceiveError": ("timeout", "LDAP server {server} did not answer"),
    "LDAPSessionTerminatedByServerError": ("unreachable", "LDAP server {server} closed the connection"),
    "LDAPStartTLSError": ("tls", "StartTLS with {server} failed"),
    "LDAPSSLConfigurationError": ("tls", "TLS with {server} failed"),
    "SSLError": ("tls", "TLS with {server} failed"),
    "SSLCertVerificationError": ("tls", "the certificate of {server} is not trusted"),
}


# ldap3 wraps the ssl module's text: "('wrap socket error: [SSL: CERTIFICATE_VERIFY_FAILED]
# certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)',)"
_UNTRUSTED = re.compile(r"CERTIFICATE_VERIFY_FAILED\] certificate verify failed: (?P<why>[^(']+?)\s*(?:\(_ssl|'|$)")


def parse_ldap(raw: LdapRaw, user: str) -> Outcome:
    fmt = {"user": user, "server": raw.server}
    if raw.error_type is None and raw.phase == "done":
        return Outcome("ok", f"LDAP bind as {user} on {raw.server} and search of the account: ok")
    untrusted = _UNTRUSTED.search(raw.message)
    if untrusted:
        return Outcome("tls", f"the certificate of {raw.server} is not trusted ({untrusted['why']}); set "
                              "checks.domain.ldap.ca_file to the domain's root CA")
    if raw.error_type is not None:
        kind, text = _LDAP_ERRORS.get(raw.error_type, ("failed", f"LDAP on {{server}} failed during {raw.phase}"))
        detail = f": {raw.message[:200]}" if raw.message else ""
        return Outcome(kind, text.format(**fmt) + detail)
    if raw.phase == "bind" and raw.result_code == 49:  # invalidCredentials
        match = _AD_DATA.search(raw.message)
        if match and match[1].lower() in AD_BIND_REASONS:
            kind, text = AD_BIND_REASONS[match[1].lower()]
            return Outcome(kind, text.format(**fmt))
        return Outcome("wrong_password", f"LDAP bind refused for {user}: invalid credentials")
    if raw.phase == "bind" and raw.result_code == 8:  # strongerAuthRequired
        return Outcome("tls", f"{raw.server} refuses simple binds without TLS: set checks.domain.ldap.security to starttls or ldaps")
    if raw.phase == "search" and raw.account is None:
        return Outcome("unknown_user", f"bound as {user}, but the search found no such account below the base DN")
    return Outcome("failed", f"LDAP {raw.phase} on {raw.server} failed: result {raw.result_code} {raw.message[:200]}".rstrip())


def parse_generalized_time(text: str) -> datetime:
    """"20261122035449.0Z" (rootDSE currentTime) -> aware UTC datetime."""
    match = re.fullmatch(r"(\d{14})(?:[.,](\d+))?Z", text.strip())
    if not match:
        raise ParseError(f"DC time {text!r} is not LDAP GeneralizedTime (YYYYMMDDHHMMSS.fZ)")
    stamp = datetime.strptime(match[1], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    fraction = float("0." + match[2]) if match[2] else 0.0
    # AD and Samba send whole seconds (".0Z"): the true time lies anywhere in the next
    # second, so take its middle rather than bias every reading by up to one second.
    return stamp + timedelta(seconds=fraction if fraction else 0.5)


def clock_skew_s(raw: LdapRaw) -> float | None:
    """The DC's clock minus ours at the moment it answered (midpoint of our before/after readings)."""
    if raw.current_time is None or raw.local_before is None:
        return None
    ours = raw.local_before + ((raw.local_after or raw.local_before) - raw.local_before) / 2
    # currentTime has whole seconds: a skew below one second is noise, not a finding.
    return round((parse_generalized_time(raw.current_time) - ours).total_seconds(), 1)


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


# ---------------------------------------------------------------- parse: SMB (pure)

# NTSTATUS values the server answers (MS-ERREF 2.3.1).
NTSTATUS: dict[int, tuple[str, str]] = {
    0xC00000CC: ("share_missing", "share {share} does not exist on {server} (STATUS_BAD_NETWORK_NAME)"),
    0xC0000022: ("access_denied", "access denied to {unc} for {user} (STATUS_ACCESS_DENIED)"),
    0xC000006D: ("wrong_password", "SMB logon refused for {user}: wrong password or unknown account (STATUS_LOGON_FAILURE)"),
    0xC0000072: ("disabled", "SMB logon refused: account {user} is disabled (STATUS_ACCOUNT_DISABLED)"),
    0xC0000234: ("locked", "SMB logon refused: account {user} is locked out (STATUS_ACCOUNT_LOCKED_OUT)"),
    0xC0000071: ("password_expired", "SMB logon refused: the password of {user} has expired (STATUS_PASSWORD_EXPIRED)"),
    0xC0000224: ("must_change_password", "SMB logon refused: {user} must change the password (STATUS_PASSWORD_MUST_CHANGE)"),
    0xC0000034: ("path_missing", "folder {unc} does not exist (STATUS_OBJECT_NAME_NOT_FOUND)"),
    0xC000003A: ("path_missing", "folder {unc} does not exist (STATUS_OBJECT_PATH_NOT_FOUND)"),
    0xC0000133: ("skew", "SMB logon refused: clock skew too great (STATUS_TIME_DIFFERENCE_AT_DC)"),
}
# Samba answers an NTLM logon with a wrong password inside SPNEGO with STATUS_NOT_FOUND
# (0xC0000225) to smbprotocol (recorded against tests/domain's DC); during the logon
# phase it can only mean the logon was refused.
_LOGIN_PHASE_STATUS = {0xC0000225: ("wrong_password", "SMB logon refused for {user}: wrong password or unknown account")}


def parse_share(raw: ShareRaw, user: str) -> Outcome:
    server, share, _ = split_unc(raw.unc)
    fmt = {"unc": raw.unc, "server": server, "share": share, "user": user}
    if raw.error_type is None and raw.phase == "done":
        return Outcome("ok", f"{raw.unc} opened and listed ({raw.entries} entries)")
    if raw.status is not None:
        table = {**NTSTATUS, **(_LOGIN_PHASE_STATUS if raw.phase == "login" else {})}
        if raw.status in table:
            kind, text = table[raw.status]
            return Outcome(kind, text.format(**fmt))
        return Outcome("failed", f"{raw.unc}: {raw.phase} failed with NTSTATUS 0x{raw.status:08X}")
    if raw.error_type in ("TimeoutError", "SMBConnectionClosed") or "timeout" in raw.message.lower():
        return Outcome("timeout", f"{raw.unc}: no answer from {server} during {raw.phase}")
    if raw.error_type in ("ConnectionRefusedError", "gaierror", "OSError", "ValueError") and raw.phase == "connect":
        return Outcome("unreachable", f"{raw.unc}: cannot connect to {server}: {raw.message[:160]}")
    if raw.phase == "login":
        return Outcome("login_failed", f"{raw.unc}: SMB logon failed for {user}: {raw.message[:160]}")
    return Outcome("failed", f"{raw.unc}: {raw.phase} failed: {raw.error_type}: {raw.message[:160]}")


def parse(raw: DomainRaw) -> DomainModel:
    if not isinstance(raw, DomainRaw):
        raise ParseError(f"domain: expected fetched data, got {type(raw).__name__}")
    user = f"{raw.username}@{raw.realm}" if raw.username else ""
    kerberos = parse_kinit(raw.kerberos, raw.username or "", raw.realm or "", raw.dc or "") if raw.kerberos else None
    ldap = parse_ldap(raw.ldap, user) if raw.ldap else None
    account = parse_account(raw.ldap.account) if raw.ldap and raw.ldap.account is not None else None
    skew = clock_skew_s(raw.ldap) if raw.ldap else None
    shares = tuple((s.unc, parse_share(s, user)) for s in raw.shares)
    membership = None
    if raw.membership_error is not None:
        membership = (MembershipStatus("membership", "", None, raw.membership_error),)
    elif raw.membership_platform is not None:
        # A broken membership answer must not hide the login tests' results.
        try:
            membership = tuple(membership_source(raw.membership_platform).parse(raw.membership_raw))
        except ParseError as exc:
            membership = (MembershipStatus("membership", "", None, str(exc)),)
    return DomainModel(raw.realm, raw.dc, raw.username, membership, kerberos, ldap, account, skew, shares)


# ---------------------------------------------------------------- evaluate (pure)

# Failure kinds whose state is UNKNOWN (we could not tell); every other non-ok kind is CRIT.
_UNKNOWN_KINDS = frozenset({"timeout", "not_installed", "failed"})


def _state(outcome: Outcome) -> State:
    if outcome.kind == "ok":
        return State.OK
    return State.UNKNOWN if outcome.kind in _UNKNOWN_KINDS else State.CRIT


def evaluate(model: DomainModel, params: DomainParams, target: Host, now: datetime) -> Iterable[CheckResult]:
    def result(check: str, item: str, state: State, summary: str, metrics: tuple[Metric, ...] = ()) -> CheckResult:
        return CheckResult(f"domain.{check}", target.name, item, state, summary, metrics=metrics, observed_at=now)

    for status in model.membership or ():
        state = State.UNKNOWN if status.healthy is None else (State.OK if status.healthy else State.CRIT)
        yield result(status.aspect, status.item, state, status.summary)
    if model.kerberos is not None:
        yield result("kerberos", model.realm or "", _state(model.kerberos), model.kerberos.message)
    if model.ldap is not None:
        yield result("ldap", model.dc or "", _state(model.ldap), model.ldap.message)
    if model.account is not None:
        yield _account_result(model, params, now, result)
    skew = _skew_result(model, params, result)
    if skew is not None:
        yield skew
    for unc, outcome in model.shares:
        yield result("share", unc, _state(outcome), outcome.message)


def _account_result(model: DomainModel, params: DomainParams, now: datetime, result: Any) -> CheckResult:
    account, name = model.account, model.username or ""
    assert account is not None
    if account.disabled or account.locked or account.password_expired:
        what = "is disabled" if account.disabled else ("is locked out" if account.locked else "has an expired password")
        return result("account", name, State.CRIT, f"service account {name} {what}")
    if account.password_expires_at is None:
        return result("account", name, State.OK, f"service account {name} is enabled; its password does not expire")
    days = (account.password_expires_at - now).total_seconds() / 86400
    limits = params.password_expiry_days
    state = threshold_state(days, limits.warn, limits.crit, higher_is_worse=False)
    return result("account", name, state,
                  f"service account {name} is enabled; its password expires in {days:.0f} days "
                  f"({account.password_expires_at:%Y-%m-%d})",
                  (Metric("password_expiry_days", round(days, 1), "days"),))


def _skew_result(model: DomainModel, params: DomainParams, result: Any) -> CheckResult | None:
    dc = model.dc or ""
    if model.skew_s is not None:
        skew = model.skew_s
        limits = params.clock_skew_s
        state = threshold_state(abs(skew), limits.warn, limits.crit)
        direction = "ahead of" if skew > 0 else "behind"
        text = f"the DC's clock is {abs(skew):.0f} s {direction} this computer's" if abs(skew) >= 1 else \
            "this computer's clock agrees with the DC's"
        if state is State.CRIT:
            text += "; Kerberos logons fail beyond 300 s: fix time sync (w32time / chrony)"
        return result("clock_skew", dc, state, text, (Metric("clock_skew_seconds", skew, "seconds"),))
    if model.kerberos is not None and model.kerberos.kind == "skew":
        return result("clock_skew", dc, State.CRIT, model.kerberos.message)
    if model.ldap is not None:
        return result("clock_skew", dc, State.UNKNOWN, "the DC's time could not be read (LDAP rootDSE currentTime)")
    return None


# ---------------------------------------------------------------- fetch (I/O)

KRB5_CONF = """\
# Written by Patrol for one kinit run; removed right after.
[libdefaults]
  default_realm = {realm}
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  # TCP only: a refused port fails at once instead of UDP retries.
  udp_preference_limit = 1
  # A Windows logon fails beyond the KDC's skew limit; MIT's default would quietly
  # adjust to the KDC's clock and hide the problem.
  kdc_timesync = 0
[realms]
  {realm} = {{
    kdc = {kdc}
  }}
"""


def _host_port(host: str, port: int) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]:{port}"
    except ValueError:
        pass
    return f"{host}:{port}"


class _Scrubber:
    def __init__(self, secret: str):
        self.secret = secret

    def __call__(self, text: str) -> str:
        return text.replace(self.secret, "***") if self.secret else text


def fetch_kerberos(params: DomainParams, password: str, io: CollectorIO) -> KinitRaw:
    assert params.account and params.realm and params.dc
    scrub = _Scrubber(password)
    timeout = params.connect_timeout_s * 2
    with tempfile.TemporaryDirectory(prefix="patrol-krb5-") as tmp:
        conf = Path(tmp, "krb5.conf")
        conf.write_text(KRB5_CONF.format(realm=params.realm, kdc=_host_port(params.dc, params.kdc_port)))
        # A private cache: the ticket never mixes with a logged-on user's tickets and is
        # deleted with the folder.
        env = {"KRB5_CONFIG": str(conf), "KRB5CCNAME": f"FILE:{tmp}/ccache", "LC_ALL": "C"}
        try:
            out = io.run([params.kinit, f"{params.account.username}@{params.realm}"], timeout=timeout,
                         input=(password + "\n").encode(), env=env)
        except FileNotFoundError:
            return KinitRaw(None, "", "not_installed")
        except TimeoutError:
            return KinitRaw(None, "", "timeout", timeout)
    text = out.stdout.decode("utf-8", "replace") + "\n" + out.stderr.decode("utf-8", "replace")
    return KinitRaw(out.returncode, scrub(text.strip()))


def fetch_ldap(params: DomainParams, password: str, clock: Any) -> LdapRaw:
    import ldap3
    from ldap3.core import exceptions as ldap_errors
    from ldap3.utils.conv import escape_filter_chars

    assert params.account and params.realm and params.dc
    scrub = _Scrubber(password)
    # ldap3 packs receive_timeout into a C struct: whole seconds only.
    settings, timeout = params.ldap, max(1, math.ceil(params.connect_timeout_s))
    port = settings.port_or_default()
    server_name = _host_port(params.dc, port)
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED if settings.verify_tls else ssl.CERT_NONE,
                    ca_certs_file=str(settings.ca_file) if settings.ca_file else None)
    server = ldap3.Server(params.dc, port=port, use_ssl=settings.security == "ldaps", tls=tls,
                          get_info=ldap3.NONE, connect_timeout=timeout)
    conn = ldap3.Connection(server, user=f"{params.account.username}@{params.realm}", password=password,
                            authentication=ldap3.SIMPLE, receive_timeout=timeout, raise_exceptions=False,
                            auto_bind=ldap3.AUTO_BIND_NONE, read_only=True)
    phase, current_time, before, after = "connect", None, None, None
    try:
        conn.open()
        # The rootDSE answers before any bind (and before StartTLS: it holds nothing
        # secret), so the skew is known even when TLS or the login fails.
        phase = "rootdse"
        before = clock()
        if conn.search("", "(objectClass=*)", search_scope=ldap3.BASE, attributes=["currentTime"]) and conn.response:
            values = conn.response[0].get("raw_attributes", {}).get("currentTime") or []
            current_time = values[0].decode("ascii", "replace") if values else None
        after = clock()
        if settings.security == "starttls":
            phase = "tls"
            if not conn.start_tls():
                return LdapRaw(server_name, phase, "LDAPStartTLSError", None, scrub(str(conn.result.get("message", ""))),
                               current_time, before, after)
        phase = "bind"
        if not conn.bind():
            res = conn.result or {}
            return LdapRaw(server_name, phase, None, res.get("result"), scrub(str(res.get("message", ""))),
                           current_time, before, after)
        phase = "search"
        user_filter = f"(&(objectClass=user)(sAMAccountName={escape_filter_chars(params.account.username)}))"
        attrs = ["userAccountControl", "msDS-UserPasswordExpiryTimeComputed", "lockoutTime"]
        conn.search(params.base_dn(), user_filter, search_scope=ldap3.SUBTREE, attributes=attrs, size_limit=2)
        entries = [e for e in conn.response or () if e.get("type") == "searchResEntry"]
        if not entries:
            res = conn.result or {}
            return LdapRaw(server_name, phase, None, res.get("result"), scrub(str(res.get("message", ""))),
                           current_time, before, after)
        account = {k: tuple(v.decode("utf-8", "replace") for v in vals)
                   for k, vals in entries[0].get("raw_attributes", {}).items()}
        return LdapRaw(server_name, "done", None, 0, "", current_time, before, after, account)
    except (ldap_errors.LDAPException, OSError, ssl.SSLError) as exc:
        return LdapRaw(server_name, phase, type(exc).__name__, None, scrub(str(exc)), current_time, before, after)
    finally:
        try:
            conn.unbind()
        except (ldap_errors.LDAPException, OSError):
            pass  # already closed: nothing to release


def fetch_share(unc: str, params: DomainParams, password: str) -> ShareRaw:
    """Open and list one share, within 4 x connect_timeout_s whatever the server does.

    smbprotocol bounds only the connect and negotiate by a timeout; a server that stalls
    later (session setup, tree connect) would hold this thread for minutes. The exchange
    therefore runs in a helper thread; past the limit its connection is closed, which
    ends the helper's wait, and the share is reported as not answering.
    """
    limit = 4 * params.connect_timeout_s
    state: dict[str, Any] = {"phase": "connect"}
    done: list[ShareRaw] = []
    worker = threading.Thread(target=lambda: done.append(_open_and_list(unc, params, password, state)),
                              name="patrol-smb", daemon=True)
    worker.start()
    worker.join(limit)
    if done:
        return done[0]
    conn = state.get("conn")
    if conn is not None:
        try:
            conn.disconnect(close=False)
        except Exception:  # noqa: BLE001 - best effort on a connection already given up
            log.debug("domain: closing the stalled SMB connection to %s failed", unc, exc_info=True)
    return ShareRaw(unc, state["phase"], "TimeoutError", None, f"no answer within {limit:g} s")


def _open_and_list(unc: str, params: DomainParams, password: str, state: dict[str, Any]) -> ShareRaw:
    from smbprotocol.connection import Connection
    from smbprotocol.exceptions import SMBException, SMBResponseException
    from smbprotocol.file_info import FileInformationClass
    from smbprotocol.open import (CreateDisposition, CreateOptions, DirectoryAccessMask, FileAttributes,
                                  ImpersonationLevel, Open, ShareAccess)
    from smbprotocol.session import Session
    from smbprotocol.tree import TreeConnect

    assert params.account and params.realm
    scrub = _Scrubber(password)
    server, share, path = split_unc(unc)
    phase = state["phase"] = "connect"
    conn = state["conn"] = Connection(uuid.uuid4(), server, params.smb_port, require_signing=True)
    try:
        conn.connect(timeout=max(1, math.ceil(params.connect_timeout_s)))
        phase = state["phase"] = "login"
        session = Session(conn, f"{params.account.username}@{params.realm}", password, auth_protocol=params.smb_auth)
        session.connect()
        phase = state["phase"] = "tree"
        tree = TreeConnect(session, rf"\\{server}\{share}")
        tree.connect()
        phase = state["phase"] = "open"
        folder = Open(tree, path)
        folder.create(ImpersonationLevel.Impersonation, DirectoryAccessMask.FILE_LIST_DIRECTORY,
                      FileAttributes.FILE_ATTRIBUTE_DIRECTORY, ShareAccess.FILE_SHARE_READ | ShareAccess.FILE_SHARE_WRITE,
                      CreateDisposition.FILE_OPEN, CreateOptions.FILE_DIRECTORY_FILE)
        phase = state["phase"] = "list"
        entries = folder.query_directory("*", FileInformationClass.FILE_NAMES_INFORMATION)
        folder.close()
        tree.disconnect()
        # "." and ".." are listed too; they are not content.
        return ShareRaw(unc, "done", entries=max(0, len(entries) - 2))
    except SMBResponseException as exc:
        return ShareRaw(unc, phase, type(exc).__name__, exc.status, scrub(str(exc)))
    except (SMBException, OSError, ValueError) as exc:
        name = "TimeoutError" if isinstance(exc, TimeoutError) else type(exc).__name__
        return ShareRaw(unc, phase, name, None, scrub(str(exc)))
    finally:
        try:
            conn.disconnect()
        except (SMBException, OSError, ValueError):
            pass  # never connected or already gone


def membership_source(platform: str) -> ModuleType:
    """The platform module with ``fetch(io, params)`` and ``parse(raw)`` for membership."""
    if platform == "windows":
        from collectors.platforms.windows import domain
    else:
        from collectors.platforms.linux import domain
    return domain


class DomainCollector:
    name: ClassVar[str] = "domain"
    params_model: ClassVar[type[DomainParams]] = DomainParams

    def targets(self, params: DomainParams, inventory: Inventory) -> Sequence[Host]:
        return [inventory.local] if params.configured else []

    def fetch(self, target: Host, params: DomainParams, io: CollectorIO) -> DomainRaw:
        platform, membership, error = None, None, None
        if params.membership:
            platform = io.platform
            try:
                membership = membership_source(platform).fetch(io, params)
            except FetchError as exc:  # reported as UNKNOWN membership; the login tests still run
                error = str(exc)
        if params.account is None:
            return DomainRaw(params.realm, params.dc, None, platform, membership, error)
        if io.resolve_secret is None:
            raise FetchError("domain: no secret resolver available to read the account's password")
        try:
            password = io.resolve_secret(params.account.password)
        except SecretUnavailable as exc:
            raise FetchError(f"domain: {exc}") from None
        started = time.monotonic()
        kerberos = fetch_kerberos(params, password, io) if params.kerberos != "off" else None
        if kerberos is not None and kerberos.error == "not_installed" and params.kerberos == "auto":
            log.info("domain: %s not found; the Kerberos (TGT) test is skipped (kerberos: auto)", params.kinit)
            kerberos = None
        ldap = fetch_ldap(params, password, io.clock)
        shares = tuple(fetch_share(unc, params, password) for unc in params.shares)
        log.debug("domain: login tests against %s took %.2f s", params.dc, time.monotonic() - started)
        return DomainRaw(params.realm, params.dc, params.account.username, platform, membership, error, kerberos, ldap,
                         shares)

    def parse(self, raw: DomainRaw) -> DomainModel:
        return parse(raw)

    def evaluate(self, model: DomainModel, params: DomainParams, target: Host, now: datetime) -> Iterable[CheckResult]:
        return evaluate(model, params, target, now)
