"""The domain collector: runs the configured parts (membership, then the login steps) in order."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from collectors.base import CheckResult, CollectorIO, FetchError
from collectors.domain.evaluate import evaluate
from collectors.domain.kerberos import fetch_kerberos
from collectors.domain.ldap import fetch_ldap
from collectors.domain.membership import fetch_membership
from collectors.domain.model import DcLoginRaw, DomainModel, DomainRaw, KinitRaw, LdapRaw
from collectors.domain.parse import parse
from collectors.domain.smb import fetch_share
from config.checks.domain import DomainParams
from config.secrets import SecretUnavailable
from inventory.models import Host, Inventory

log = logging.getLogger(__name__)


def _login(params: DomainParams, password: str, io: CollectorIO) -> tuple[KinitRaw | None, LdapRaw]:
    """Kerberos (when configured and available) and LDAP against ``params.dc``."""
    kerberos = fetch_kerberos(params, password, io) if params.kerberos != "off" else None
    if kerberos is not None and kerberos.error == "not_installed" and params.kerberos == "auto":
        log.info("domain: %s not found; the Kerberos (TGT) test is skipped (kerberos: auto)", params.kinit)
        kerberos = None
    return kerberos, fetch_ldap(params, password, io.clock)


class DomainCollector:
    name: ClassVar[str] = "domain"
    params_model: ClassVar[type[DomainParams]] = DomainParams

    def targets(self, params: DomainParams, inventory: Inventory) -> Sequence[Host]:
        return [inventory.local] if params.configured else []

    def fetch(self, target: Host, params: DomainParams, io: CollectorIO) -> DomainRaw:
        platform: str | None = None
        membership: Any = None
        error: str | None = None
        if params.membership:
            platform, membership, error = fetch_membership(io, params)
        if params.account is None:
            return DomainRaw(params.realm, params.dc, None, platform, membership, error)
        if io.resolve_secret is None:
            raise FetchError("domain: no secret resolver available to read the account's password")
        try:
            password = io.resolve_secret(params.account.password)
        except SecretUnavailable as exc:
            raise FetchError(f"domain: {exc}") from None
        started = time.monotonic()
        # The other DCs answer (or time out) in parallel with the first: one dead DC must
        # not eat the check's whole time budget.
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="patrol-dc") as pool:
            names = list(params.other_dcs)
            others = [pool.submit(_login, params.model_copy(update={"dc": dc}), password, io) for dc in names]
            kerberos, ldap = _login(params, password, io)
            # DCs the directory lists, minus the ones already tested (the first by its own name).
            known = {n.lower() for n in (params.dc or "", ldap.server_host or "", *names)}
            for dc in ldap.controllers or ():
                if dc not in known:
                    names.append(dc)
                    others.append(pool.submit(_login, params.model_copy(update={"dc": dc}), password, io))
            shares = tuple(fetch_share(unc, params, password) for unc in params.shares)
            other_dcs = tuple(DcLoginRaw(dc, *future.result()) for dc, future in zip(names, others))
        log.debug("domain: login tests against %s took %.2f s (%d DC(s) from the directory)",
                  ", ".join((params.dc or "", *names)), time.monotonic() - started, len(ldap.controllers or ()))
        return DomainRaw(params.realm, params.dc, params.account.username, platform, membership, error, kerberos, ldap,
                         shares, other_dcs)

    def parse(self, raw: DomainRaw) -> DomainModel:
        return parse(raw)

    def evaluate(self, model: DomainModel, params: DomainParams, target: Host, now: datetime) -> Iterable[CheckResult]:
        return evaluate(model, params, target, now)
