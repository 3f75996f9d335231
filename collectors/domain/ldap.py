"""The LDAP step: the DC's clock from the rootDSE, a simple bind as the service account and
a search of the account (fetch), and what the DC answered classified into outcomes (parse, pure)."""

from __future__ import annotations

import math
import re
import ssl
from datetime import datetime, timedelta, timezone
from typing import Any

from collectors.base import ParseError
from collectors.domain.model import LdapRaw, Outcome
from collectors.domain.wire import Scrubber, host_port
from config.checks.domain import DomainParams


def fetch_ldap(params: DomainParams, password: str, clock: Any, attributes: tuple[str, ...] = ()) -> LdapRaw:
    """``attributes``: more of the account's attributes to read (the console reads memberOf)."""
    import ldap3
    from ldap3.core import exceptions as ldap_errors
    from ldap3.utils.conv import escape_filter_chars

    assert params.account and params.realm and params.dc
    scrub = Scrubber(password)
    # ldap3 packs receive_timeout into a C struct: whole seconds only.
    settings, timeout = params.ldap, max(1, math.ceil(params.connect_timeout_s))
    port = settings.port_or_default()
    server_name = host_port(params.dc, port)
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
        server_host = None
        if conn.search("", "(objectClass=*)", search_scope=ldap3.BASE,
                       attributes=["currentTime", "dnsHostName"]) and conn.response:
            raw_attrs = conn.response[0].get("raw_attributes", {})
            values = raw_attrs.get("currentTime") or []
            current_time = values[0].decode("ascii", "replace") if values else None
            host_values = raw_attrs.get("dnsHostName") or []
            server_host = host_values[0].decode("ascii", "replace") if host_values else None
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
        attrs = ["userAccountControl", "msDS-UserPasswordExpiryTimeComputed", "lockoutTime", *attributes]
        conn.search(params.base_dn(), user_filter, search_scope=ldap3.SUBTREE, attributes=attrs, size_limit=2)
        entries = [e for e in conn.response or () if e.get("type") == "searchResEntry"]
        if not entries:
            res = conn.result or {}
            return LdapRaw(server_name, phase, None, res.get("result"), scrub(str(res.get("message", ""))),
                           current_time, before, after)
        account = {k: tuple(v.decode("utf-8", "replace") for v in vals)
                   for k, vals in entries[0].get("raw_attributes", {}).items()}
        controllers = _controllers(conn, params.base_dn()) if params.discover_dcs else None
        return LdapRaw(server_name, "done", None, 0, "", current_time, before, after, account, controllers, server_host)
    except (ldap_errors.LDAPException, OSError, ssl.SSLError) as exc:
        return LdapRaw(server_name, phase, type(exc).__name__, None, scrub(str(exc)), current_time, before, after)
    finally:
        try:
            conn.unbind()
        except (ldap_errors.LDAPException, OSError):
            pass  # already closed: nothing to release


# Domain controllers are the computer accounts with SERVER_TRUST_ACCOUNT (0x2000) in
# userAccountControl (MS-ADTS 2.2.16); LDAP_MATCHING_RULE_BIT_AND is 1.2.840.113556.1.4.803.
_DC_FILTER = "(&(objectCategory=computer)(userAccountControl:1.2.840.113556.1.4.803:=8192))"
MAX_DISCOVERED_DCS = 16


def _controllers(conn: Any, base_dn: str) -> tuple[str, ...]:
    """The domain's DCs by dNSHostName, as the directory lists them (read as the service account)."""
    import ldap3

    if not conn.search(base_dn, _DC_FILTER, search_scope=ldap3.SUBTREE, attributes=["dNSHostName"],
                       size_limit=MAX_DISCOVERED_DCS):
        return ()
    names = []
    for entry in conn.response or ():
        if entry.get("type") == "searchResEntry":
            values = entry.get("raw_attributes", {}).get("dNSHostName") or []
            names += [v.decode("ascii", "replace").lower() for v in values]
    return tuple(sorted(set(names)))


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
