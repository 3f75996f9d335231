"""Settings of the software family: Required office software at allowed versions (item 7)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from config.checks.base import CheckParams, Strict


class RequiredPackage(Strict):
    """One piece of software that must be installed, optionally within a version range."""

    name: Annotated[str, Field(min_length=1, description=(
        "package name (dpkg/rpm) or DisplayName (Windows 'Programs and Features'); shell patterns "
        "such as 'Microsoft 365 Apps*' or 'libreoffice*-writer' allowed; compared case-insensitively"))]
    label: Annotated[str | None, Field(description="the item name in results and reports; default: name")] = None
    platform: Annotated[Literal["any", "linux", "windows"], Field(
        description="check this rule only on computers of this platform")] = "any"
    min_version: Annotated[str | None, Field(description="lowest allowed version (inclusive)")] = None
    max_version: Annotated[str | None, Field(description="highest allowed version (inclusive)")] = None
    allowed_versions: Annotated[tuple[str, ...], Field(
        description="if given, the version must match one of these (shell patterns, e.g. '16.0.*')")] = ()
    missing_state: Annotated[Literal["warn", "crit"], Field(description="state when it is not installed")] = "crit"
    wrong_version_state: Annotated[Literal["warn", "crit"], Field(
        description="state when it is installed but no installed version is allowed")] = "warn"

    @property
    def item(self) -> str:
        return self.label or self.name


class SoftwareParams(CheckParams):
    """Settings under ``checks.software``."""

    required: Annotated[tuple[RequiredPackage, ...], Field(
        description="software that must be present; empty (the default) means the family does not run")] = ()
    command_timeout_s: Annotated[float, Field(gt=0, description="seconds dpkg-query/rpm/PowerShell may take")] = 20

    @model_validator(mode="after")
    def _unique_items(self) -> "SoftwareParams":
        # The same item on two platforms ("Office": one rule for Windows, one for Linux) is fine:
        # only one of them ever runs on a given computer.
        for index, rule in enumerate(self.required):
            for other in self.required[index + 1:]:
                overlap = "any" in (rule.platform, other.platform) or rule.platform == other.platform
                if rule.item == other.item and overlap:
                    raise ValueError(f"two rules have the same item {rule.item!r}: give one a 'label'")
        return self
