"""The example config in docs/checks-domain-mail.md loads through the real config loader."""

from __future__ import annotations

import re
from pathlib import Path

from config.loader import parse_yaml, validate
from config.schema import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks-domain-mail.md"


def test_mail_example_loads() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    [block] = [b for b in blocks if "\n  mail:\n" in b]
    mail = validate(Settings, parse_yaml(block, str(DOC))).checks.mail
    assert mail.configured and mail.round_trip.enabled
    assert (mail.smtp.port_for("smtp"), mail.imap.port_for("imap")) == (587, 993)
    assert str(mail.account.password) == "file:/etc/patrol/mail-password"
