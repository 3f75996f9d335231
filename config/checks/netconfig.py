"""Settings of the netconfig family: Configuration backup of network devices over SSH."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator

from config.checks.base import CheckParams, FindingPolicy, Schedule


class NetconfigParams(CheckParams):
    """Settings under ``checks.netconfig``.

    Targets are the inventory's ``network_devices`` that have ``cli`` credentials; with
    none, this family yields no results.
    """

    timeout_s: Annotated[float, Field(gt=0, description="one device's whole backup (connect, commands, git) may take this long")] = 120
    repository: Annotated[str, Field(
        min_length=1,
        description="git repository of the backups; a relative path is below the agent's state_dir")] = "configs"
    command_timeout_s: Annotated[float, Field(
        gt=0, description="how long one show command may run (big configurations take a while)")] = 60
    include_version: Annotated[bool, Field(
        description="also read 'show version' and keep it as comments at the top of the stored file")] = True
    change_hold_h: Annotated[float, Field(
        ge=0, description="a configuration change stays WARN for this many hours after it was seen")] = 24
    max_diff_lines: Annotated[int, Field(
        ge=10, description="longest diff kept in a result's details; the git history has the whole diff")] = 400
    mask_secrets_in_repository: Annotated[bool, Field(
        description="store configurations with secrets masked too; off by default so the backup can be restored "
                    "and a password change is still seen as a change (see docs/network-printers-and-config.md)")] = False
    extra_volatile_patterns: Annotated[tuple[str, ...], Field(
        description="more regexes of lines that change by themselves, for every platform")] = ()
    extra_secret_patterns: Annotated[tuple[str, ...], Field(
        description="more regexes after which the rest of a line is a secret, e.g. 'ppp chap password'")] = ()
    # Hourly, as Oxidized does by default: SSH logins every 5 minutes would fill device logs.
    schedule: Schedule = Schedule(interval_s=3600, jitter_s=300)
    # A change is reported once per backup and then held for change_hold_h: open a finding on
    # the first WARN rather than waiting for a second one that may never come.
    findings: FindingPolicy = FindingPolicy(open_after=1, resolve_after=1)

    @field_validator("extra_volatile_patterns", "extra_secret_patterns")
    @classmethod
    def _regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return value
