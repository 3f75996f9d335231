"""The example config in docs/checks-domain-mail.md loads through the real config loader."""

from __future__ import annotations

import re
from pathlib import Path

from config.checks.domain import DomainParams
from config.loader import parse_yaml, validate
from config.schema import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks-domain-mail.md"


def example(family: str) -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    [block] = [b for b in blocks if f"\n  {family}:\n" in b]
    return block


def test_domain_example_loads() -> None:
    settings = validate(Settings, parse_yaml(example("domain"), str(DOC)))
    domain = settings.checks.domain
    assert isinstance(domain, DomainParams) and domain.configured
    assert (domain.realm, domain.ldap.security, str(domain.account.password)) == (
        "CORP.EXAMPLE.COM", "starttls", "env:PATROL_DOMAIN_PASSWORD")
    assert domain.shares[1] == r"\\fs1.corp.example.com\Scans\Reception"
