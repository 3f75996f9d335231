"""Required office software at allowed versions (checklist item 7, 常用办公软件是否有问题).

The list comes from config (``checks.software.required``); nothing configured means no
targets. Installed software is read by platform: dpkg or rpm on Linux, the Uninstall
registry keys on Windows (collectors/platforms/<platform>/software.py). Versions are
ordered the way their source orders them: Debian rules for dpkg, rpmvercmp for rpm,
dotted numbers for Windows.

One result ``software.package`` per rule, the rule's label (or name) as item.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from collectors.base import CheckResult, CollectorIO, Metric, State
from collectors.messages import Messages, Said, as_param, semicolons
from collectors.platforms.detect import choose
from config.checks.software import RequiredPackage, SoftwareParams
from inventory.models import Host, Inventory


@dataclass(frozen=True, slots=True)
class InstalledPackage:
    name: str
    version: str
    source: str  # dpkg, rpm, HKLM64, HKLM32, HKCU
    broken: str | Said = ""  # why an install is incomplete (dpkg half-configured, ...), "" when fine


@dataclass(frozen=True, slots=True)
class InstalledSoftware:
    platform: Literal["linux", "windows"]
    source: str
    version_scheme: Literal["debian", "rpm", "dotted"]
    packages: tuple[InstalledPackage, ...]


@dataclass(frozen=True, slots=True)
class SoftwareRaw:
    platform: str
    payload: Any


# The data source per platform (collectors/platforms/detect.py picks and imports it).
SOURCES = {"windows": "collectors.platforms.windows.software", "linux": "collectors.platforms.linux.software"}


def comparator(scheme: str) -> Callable[[str, str], int]:
    from collectors.platforms.linux.software_versions import debian_compare, rpm_compare
    from collectors.platforms.windows.software import dotted_compare

    return {"debian": debian_compare, "rpm": rpm_compare, "dotted": dotted_compare}[scheme]


def version_problem(version: str, rule: RequiredPackage, compare: Callable[[str, str], int]) -> Said | None:
    """Why ``version`` is not allowed by ``rule``, or None when it is."""
    if not version:
        return MSG.say("software.reason.no_version") if (rule.min_version or rule.max_version or rule.allowed_versions) else None
    if rule.min_version is not None and compare(version, rule.min_version) < 0:
        return MSG.say("software.reason.older", version=version, limit=rule.min_version)
    if rule.max_version is not None and compare(version, rule.max_version) > 0:
        return MSG.say("software.reason.newer", version=version, limit=rule.max_version)
    if rule.allowed_versions and not any(fnmatch.fnmatchcase(version, p) for p in rule.allowed_versions):
        return MSG.say("software.reason.not_listed", version=version, allowed=tuple(rule.allowed_versions))
    return None


MSG = Messages({
    "software.installed": "{item}: {name} {version} installed",
    "software.installed_more": "{item}: {name} {version} (+{more} more) installed",
    "software.not_allowed": "{item}: installed but not allowed - {reasons}",
    "software.missing": "{item}: not installed (no {source} entry matches {name})",
    "software.reason": "{name}: {why}",
    "software.reason.no_version": "no version recorded",
    "software.reason.older": "{version} is older than the minimum {limit}",
    "software.reason.newer": "{version} is newer than the maximum {limit}",
    "software.reason.not_listed": "{version} is not one of {allowed}",
})


def evaluate_rule(rule: RequiredPackage, software: InstalledSoftware, target: str, now: datetime) -> CheckResult:
    pattern = rule.name.casefold()
    matches = [p for p in software.packages if fnmatch.fnmatchcase(p.name.casefold(), pattern)]
    compare = comparator(software.version_scheme)
    good, bad = [], []
    for package in matches:
        problem = package.broken or version_problem(package.version, rule, compare)
        (bad if problem else good).append((package, problem))
    details = "\n".join(f"{p.name} {p.version or '(no version)'} [{p.source}]" + (f": {why}" if why else "")
                        for p, why in good + bad)
    metrics = (Metric("installed_matches_count", len(matches), "count"),)
    if good:
        package = good[0][0]
        said = MSG.say("software.installed" + ("_more" if len(good) > 1 else ""), item=rule.item, name=package.name,
                       version=package.version, more=len(good) - 1)
        return CheckResult("software.package", target, rule.item, State.OK, said.text, details, metrics, now, said.ref)
    if bad:
        state = State.parse(rule.wrong_version_state)
        # The version rule's reason and a broken install's ("dpkg status iF", the status letters
        # as data) are Patrol's wording: translated.
        reasons = semicolons([MSG.ref("software.reason", name=p.name, why=as_param(why)) for p, why in bad])
        said = MSG.say("software.not_allowed", item=rule.item, reasons=reasons)
        return CheckResult("software.package", target, rule.item, state, said.text, details, metrics, now, said.ref)
    said = MSG.say("software.missing", item=rule.item, source=software.source, name=repr(rule.name))
    return CheckResult("software.package", target, rule.item, State.parse(rule.missing_state), said.text,
                       details, metrics, now, said.ref)


class SoftwareCollector:
    name: ClassVar[str] = "software"
    params_model: ClassVar[type[SoftwareParams]] = SoftwareParams

    def targets(self, params: SoftwareParams, inventory: Inventory) -> Sequence[Host]:
        return (inventory.local,) if params.required else ()

    def fetch(self, target: Host, params: SoftwareParams, io: CollectorIO) -> SoftwareRaw:
        platform = "windows" if io.platform == "windows" else "linux"
        return SoftwareRaw(platform, choose(platform, SOURCES).fetch(io, params.command_timeout_s))

    def parse(self, raw: SoftwareRaw) -> InstalledSoftware:
        return choose(raw.platform, SOURCES).parse(raw.payload)

    def evaluate(self, model: InstalledSoftware, params: SoftwareParams, target: Host,
                 now: datetime) -> Iterable[CheckResult]:
        for rule in params.required:
            if rule.platform in ("any", model.platform):
                yield evaluate_rule(rule, model, target.name, now)
