"""The mail collector: resolves the password at the last moment and runs the steps."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import ClassVar

from collectors.base import CheckResult, CollectorIO, FetchError
from collectors.mail.evaluate import evaluate
from collectors.mail.fetch import fetch_mail
from collectors.mail.model import MailModel, MailRaw
from collectors.mail.parse import parse
from config.checks.mail import MailParams
from config.secrets import SecretUnavailable
from inventory.models import Host, Inventory

log = logging.getLogger(__name__)


class MailCollector:
    name: ClassVar[str] = "mail"
    params_model: ClassVar[type[MailParams]] = MailParams

    def targets(self, params: MailParams, inventory: Inventory) -> Sequence[Host]:
        # An endpoint check of this computer's mail path; nothing to do until configured.
        return [inventory.local] if params.configured else []

    def fetch(self, target: Host, params: MailParams, io: CollectorIO) -> MailRaw:
        if params.account is None:
            raise FetchError("mail: no account configured")
        if io.resolve_secret is None:
            raise FetchError("mail: no secret resolver available to read the account's password")
        try:
            password = io.resolve_secret(params.account.password)
        except SecretUnavailable as exc:
            raise FetchError(f"mail: {exc}") from None
        raw = fetch_mail(params, password)
        log.debug("mail: %d exchanges with %s", len(raw.exchanges), ", ".join(sorted({e.server for e in raw.exchanges})))
        return raw

    def parse(self, raw: MailRaw) -> MailModel:
        return parse(raw)

    def evaluate(self, model: MailModel, params: MailParams, target: Host, now: datetime) -> Iterable[CheckResult]:
        return evaluate(model, params, target, now)
