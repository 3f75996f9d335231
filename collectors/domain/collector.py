"""The domain collector: runs the configured parts (membership, then the login steps) in order."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from collectors.base import CheckResult, CollectorIO, FetchError
from collectors.domain.evaluate import evaluate
from collectors.domain.kerberos import fetch_kerberos
from collectors.domain.ldap import fetch_ldap
from collectors.domain.membership import fetch_membership
from collectors.domain.model import DomainModel, DomainRaw
from collectors.domain.parse import parse
from collectors.domain.smb import fetch_share
from config.checks.domain import DomainParams
from config.secrets import SecretUnavailable
from inventory.models import Host, Inventory

log = logging.getLogger(__name__)


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
