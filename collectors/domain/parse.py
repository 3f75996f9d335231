"""The fetched answers of every step classified into one model (pure)."""

from __future__ import annotations

from collectors.base import ParseError
from collectors.domain.account import parse_account
from collectors.domain.kerberos import parse_kinit
from collectors.domain.ldap import clock_skew_s, parse_ldap
from collectors.domain.membership import parse_membership
from collectors.domain.model import DomainModel, DomainRaw
from collectors.domain.smb import parse_share


def parse(raw: DomainRaw) -> DomainModel:
    if not isinstance(raw, DomainRaw):
        raise ParseError(f"domain: expected fetched data, got {type(raw).__name__}")
    user = f"{raw.username}@{raw.realm}" if raw.username else ""
    kerberos = parse_kinit(raw.kerberos, raw.username or "", raw.realm or "", raw.dc or "") if raw.kerberos else None
    ldap = parse_ldap(raw.ldap, user) if raw.ldap else None
    account = parse_account(raw.ldap.account) if raw.ldap and raw.ldap.account is not None else None
    skew = clock_skew_s(raw.ldap) if raw.ldap else None
    shares = tuple((s.unc, parse_share(s, user)) for s in raw.shares)
    membership = parse_membership(raw.membership_platform, raw.membership_raw, raw.membership_error)
    others = tuple((o.dc, parse_kinit(o.kerberos, raw.username or "", raw.realm or "", o.dc) if o.kerberos else None,
                    parse_ldap(o.ldap, user) if o.ldap else None) for o in raw.other_dcs)
    return DomainModel(raw.realm, raw.dc, raw.username, membership, kerberos, ldap, account, skew, shares, others)
