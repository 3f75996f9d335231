"""Settings of the mail family: Mail send and receive (item 2)."""

from __future__ import annotations

from config.checks.base import CheckParams


class MailParams(CheckParams):
    """Settings under ``checks.mail``."""
