"""Per-platform text rules for configuration backup, kept as data in ``<platform>.yaml`` files here.

A platform file (keyed by the netmiko device type that the inventory's ``platform``
names) says which commands read the configuration and the version, whether privileged
mode is needed, which reply lines are errors, which lines change by themselves
(timestamps, uptime, "Current configuration : N bytes", NTP clock period) and how to mask
secrets. ``common.yaml`` adds rules every platform inherits. A new platform is a new
YAML file, not new code.

Everything here is pure: text in, text out.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import yaml

from collectors.base import ParseError

MASK = "<masked>"


@dataclass(frozen=True, slots=True)
class MaskRule:
    pattern: re.Pattern[str]
    replace: str


@dataclass(frozen=True, slots=True)
class PlatformRules:
    platform: str
    aliases: tuple[str, ...]
    enable: bool  # enter privileged mode (Cisco "enable") before the show commands
    comment: str  # the config's comment prefix, used for the version header in the stored file
    config_command: str
    version_command: str | None
    errors: tuple[re.Pattern[str], ...]
    config_must_match: re.Pattern[str] | None
    volatile_config: tuple[re.Pattern[str], ...]
    volatile_version: tuple[re.Pattern[str], ...]
    secrets: tuple[MaskRule, ...]

    def with_extra(self, *, volatile: Sequence[str] = (), secrets: Sequence[str] = ()) -> PlatformRules:
        """These rules plus site-specific ones from settings (patterns already validated).

        An extra secret pattern masks everything after its first group: ``(ppp chap
        password)`` turns "ppp chap password 7 X" into "ppp chap password <masked>".
        """
        extra_volatile = tuple(re.compile(p) for p in volatile)
        extra_secrets = tuple(MaskRule(re.compile(f"^(.*?{p})\\s+.*$"), f"\\1 {MASK}") for p in secrets)
        return PlatformRules(
            platform=self.platform, aliases=self.aliases, enable=self.enable, comment=self.comment,
            config_command=self.config_command, version_command=self.version_command, errors=self.errors,
            config_must_match=self.config_must_match,
            volatile_config=self.volatile_config + extra_volatile,
            volatile_version=self.volatile_version + extra_volatile,
            secrets=extra_secrets + self.secrets,
        )


class UnknownPlatform(LookupError):
    pass


def _read(name: str) -> dict:
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"netconfig rules {name}.yaml: expected a mapping")
    return data


def _compile_all(patterns: Iterable[str], where: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for pattern in patterns:
        try:
            out.append(re.compile(pattern))
        except re.error as exc:
            raise ValueError(f"netconfig rules {where}: bad regex {pattern!r}: {exc}") from None
    return tuple(out)


def _rules_from(data: dict, common: dict) -> PlatformRules:
    name = data["platform"]
    volatile = data.get("volatile") or {}
    masks = [*(data.get("secrets") or ()), *(common.get("secrets") or ())]
    must = data.get("config_must_match")
    return PlatformRules(
        platform=name,
        aliases=tuple(data.get("aliases") or ()),
        enable=bool(data.get("enable", False)),
        comment=data.get("comment", "! "),
        config_command=data["commands"]["config"],
        version_command=data["commands"].get("version"),
        errors=_compile_all(data.get("errors") or (), name),
        config_must_match=re.compile(must, re.MULTILINE) if must else None,
        volatile_config=_compile_all(volatile.get("config") or (), name),
        volatile_version=_compile_all(volatile.get("version") or (), name),
        secrets=tuple(MaskRule(p, m["replace"]) for p, m in zip(_compile_all((m["pattern"] for m in masks), name), masks)),
    )


@functools.cache
def all_rules() -> dict[str, PlatformRules]:
    """Every platform's rules, by platform name and by each alias."""
    common = _read("common")
    table: dict[str, PlatformRules] = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml") or entry.name == "common.yaml":
            continue
        rules = _rules_from(_read(entry.name.removesuffix(".yaml")), common)
        for key in (rules.platform, *rules.aliases):
            table[key] = rules
    return table


def rules_for(platform: str) -> PlatformRules:
    try:
        return all_rules()[platform]
    except KeyError:
        known = ", ".join(sorted({r.platform for r in all_rules().values()}))
        raise UnknownPlatform(f"no configuration-backup rules for platform {platform!r}; known: {known}") from None


def _normalise(text: str) -> list[str]:
    # CR/LF from the SSH channel, trailing blanks and leading/trailing empty lines carry no meaning.
    return _trim([line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")])


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def drop_volatile(lines: Iterable[str], patterns: Sequence[re.Pattern[str]]) -> list[str]:
    return _trim([line for line in lines if not any(p.search(line) for p in patterns)])


def error_in(text: str, rules: PlatformRules) -> str | None:
    """The first line of ``text`` that the platform prints for a failed command, if any."""
    for line in _normalise(text)[:5]:  # an error reply is short; a config may mention "% " later
        if any(p.search(line.strip()) for p in rules.errors):
            return line.strip()
    return None


def clean_config(text: str, rules: PlatformRules) -> list[str]:
    """The configuration without volatile lines; ``ParseError`` when it is not a configuration.

    A broken reply must never be archived: it would show as a huge change and hide the
    real history, so an error reply or a text without the platform's tell-tale line
    (``hostname``/``sysname``) is refused here.
    """
    error = error_in(text, rules)
    if error is not None:
        raise ParseError(f"'{rules.config_command}' answered with an error: {error[:120]}")
    lines = drop_volatile(_normalise(text), rules.volatile_config)
    if not lines:
        raise ParseError(f"'{rules.config_command}' returned an empty configuration")
    if rules.config_must_match is not None and not rules.config_must_match.search("\n".join(lines)):
        raise ParseError(f"'{rules.config_command}' did not return a configuration "
                         f"(no line matches {rules.config_must_match.pattern!r})")
    return lines


def clean_version(text: str, rules: PlatformRules) -> list[str]:
    if error_in(text, rules) is not None:
        return []  # the version header is a convenience; its absence is not a failure
    return drop_volatile(_normalise(text), rules.volatile_version)


def compose(config: Sequence[str], version: Sequence[str], rules: PlatformRules) -> str:
    """The stored file: the cleaned version output as comments, then the configuration.

    One file per device, as RANCID and Oxidized keep it: an upgrade shows up in the same
    history as a configuration change, and the file stays loadable (comments are ignored).
    """
    header = []
    if version:
        marker = rules.comment.rstrip()
        header = [f"{rules.comment}{rules.version_command}", *(f"{rules.comment}{v}".rstrip() for v in version), marker]
    return "\n".join([*header, *config]) + "\n"


def mask_line(line: str, rules: PlatformRules) -> str:
    """``line`` with any secret value replaced by ``<masked>``; the first matching rule wins."""
    for rule in rules.secrets:
        masked, count = rule.pattern.subn(rule.replace, line, count=1)
        if count:
            return masked
    return line


def mask_text(text: str, rules: PlatformRules) -> str:
    return "\n".join(mask_line(line, rules) for line in text.split("\n"))


@dataclass(frozen=True, slots=True)
class Diff:
    lines: tuple[str, ...]  # unified diff, secrets masked
    added: int
    removed: int


def masked_diff(before: str, after: str, rules: PlatformRules, *, before_label: str, after_label: str) -> Diff:
    """A unified diff of two stored versions with secret values masked.

    The diff is computed on the real text and masked afterwards, so a changed password
    still shows as a removed and an added line (both reading ``<masked>``).
    """
    raw = list(difflib.unified_diff(before.splitlines(), after.splitlines(), before_label, after_label, lineterm="", n=3))
    out: list[str] = []
    added = removed = 0
    for index, line in enumerate(raw):
        if index < 2 or line.startswith("@@"):  # the ---/+++ labels and hunk headers
            out.append(line)
            continue
        marker, body = line[:1], line[1:]
        added += marker == "+"
        removed += marker == "-"
        out.append(marker + mask_line(body, rules))
    return Diff(tuple(out), added, removed)
