"""Settings of the collector's web console (``serve.console``): sign-in against the site's
Active Directory over LDAP, and which AD groups give which console role. See docs/console.md."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.checks.base import Strict
from config.checks.domain import LdapSettings


class AdGroupRole(Strict):
    """Members of ``group`` sign in with ``role`` (and a viewer sees ``site`` only)."""

    group: Annotated[str, Field(min_length=1, description="the AD group's name (cn), e.g. 'Patrol Engineers'")]
    role: Annotated[Literal["viewer", "engineer", "admin"], Field(description="console role of its members")]
    site: Annotated[str | None, Field(description="the one site a viewer sees (required for viewer)")] = None

    @model_validator(mode="after")
    def _viewer_site(self) -> "AdGroupRole":
        if self.role == "viewer" and not self.site:
            raise ValueError(f"group {self.group!r}: a viewer sees one site, give 'site'")
        return self


class ActiveDirectorySignIn(Strict):
    """Console users who are not local sign in with their AD account (LDAP simple bind as
    user@realm, then their groups are read); the first group of ``groups`` they are a direct
    member of decides their role. A user in none of them is refused."""

    realm: Annotated[str, Field(description="AD DNS domain in upper case, e.g. CORP.EXAMPLE.COM")]
    dc: Annotated[str, Field(min_length=1, description="the domain controller to ask (host name or address)")]
    ldap: LdapSettings = LdapSettings()
    groups: Annotated[tuple[AdGroupRole, ...], Field(min_length=1, description=(
        "AD group -> console role, first match wins: list the most powerful first"))]

    @field_validator("realm")
    @classmethod
    def _upper(cls, value: str) -> str:
        if not value or value != value.upper() or " " in value:
            raise ValueError("give the realm in upper case, e.g. CORP.EXAMPLE.COM")
        return value


class ConsoleSettings(Strict):
    """Settings under ``serve.console``."""

    active_directory: Annotated[ActiveDirectorySignIn | None, Field(
        description="sign-in with AD accounts besides the local users; unset: local users only")] = None
