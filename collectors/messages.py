"""A collector's sentences: one English template per message id, giving both the English
``summary`` and the ``MessageRef`` a report in another language renders from its catalogue.

Why the English template lives here, beside the code that fills it, and not in the report
catalogue: the collector is the one place that knows what each parameter means, the
English sentence is needed without the reports package (CLI, logs, tickets, an endpoint
agent that never loads it), and one source cannot drift from itself. The report catalogues
(agent/reports/data/messages/<lang>.yaml) hold the other languages under ``msg.<id>``,
with the same placeholders (a test checks every id declared here has them).

A template is ``str.format`` text: ``"CPU {busy:.0f}% busy"``. Parameters are device or OS
text (names, errors as printed), numbers (formatted by the template), or fixed wording
that must be translated too, given as a nested ``MessageRef`` from ``ref()`` (a tuple of
them is joined with the language's list separator).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from collectors.base import MessageRef
from collectors.frozen import quick_init

# The list separator per language: English ", ", Chinese "、" (CLDR's unit-narrow list).
LIST_SEPARATOR = {"en": ", ", "zh-CN": "、"}


class MessageError(KeyError):
    pass


@quick_init
@dataclass(frozen=True, slots=True)
class Said:
    """A sentence said: the English ``text`` (the result's summary) and its ``ref``."""

    text: str
    ref: MessageRef

    def __str__(self) -> str:  # in details, logs and English text: the English sentence
        return self.text


def as_param(value: Said | MessageRef | str) -> MessageRef | str:
    """A platform's wording as a message parameter: its ref when it said it with a message id
    (translated), else the text as the system gave it (data)."""
    return value.ref if isinstance(value, Said) else value


def render(ref: MessageRef, template_of: Callable[[str], str | None], separator: str = ", ") -> str | None:
    """``ref`` in the language of ``template_of`` (id -> template, None when unknown); None when
    it or a nested message has no template there, so the caller falls back to the summary."""
    template = template_of(ref.id)
    if template is None:
        return None
    values: dict[str, Any] = {}
    for name, value in ref.params:
        if isinstance(value, MessageRef):
            value = render(value, template_of, separator)
            if value is None:
                return None
        elif isinstance(value, tuple):
            parts = [render(v, template_of, separator) if isinstance(v, MessageRef) else str(v) for v in value]
            if any(p is None for p in parts):
                return None
            value = separator.join(p for p in parts if p is not None)
        values[name] = value
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:  # a catalogue entry that does not fit its parameters
        raise MessageError(f"message {ref.id!r}: template {template!r} does not fit its parameters "
                           f"({type(exc).__name__}: {exc})") from None


# Every declared English template, by id: a sentence may nest wording another table declared
# (a Windows platform module's antivirus mode inside the antivirus collector's status); the
# table that made a ref was imported to make it, so its templates are here.
_DECLARED: dict[str, str] = {}


class Messages:
    """The English templates of one collector, by message id (``"system.cpu"``)."""

    def __init__(self, templates: Mapping[str, str], *includes: Messages) -> None:
        self.templates = {k: v for m in includes for k, v in m.templates.items()} | dict(templates)
        for mid, template in templates.items():
            if _DECLARED.setdefault(mid, template) != template:
                raise MessageError(f"message {mid!r} is declared twice with different English")
        # Messages without parameters ("up", "not readable") are the same object every time: a
        # switch check makes several per port, thousands per poll of a site.
        self._plain: dict[str, MessageRef] = {}
        # English sentences already said, by message: most ports of a switch say the same
        # ("up, 1 Gbit/s"). Bounded; cleared when full.
        self._said: dict[MessageRef, str] = {}

    def ref(self, id: str, **params: Any) -> MessageRef:
        """A message without saying it: a nested parameter of another message."""
        if not params:
            plain = self._plain.get(id)
            if plain is not None:
                return plain
        if id not in self.templates:
            raise MessageError(f"message {id!r} is not declared")
        if not params:
            plain = self._plain[id] = MessageRef(id)
            return plain
        return MessageRef(id, tuple(sorted(params.items())))

    def _english(self, mid: str) -> str | None:
        return self.templates.get(mid) or _DECLARED.get(mid)

    def _render(self, ref: MessageRef) -> str:
        text = render(ref, self._english)
        assert text is not None  # every nested ref was made by some table's ref(), so it is declared
        return text

    def say(self, id: str, **params: Any) -> Said:
        ref = self.ref(id, **params)
        try:
            text = self._said.get(ref)
        except TypeError:  # a parameter that cannot be hashed: said without the cache
            text = None
            cacheable = False
        else:
            cacheable = True
        if text is None:
            text = render(ref, self._english)
            assert text is not None  # every nested ref was made by some table's ref(), so it is declared
            if cacheable:
                if len(self._said) >= 4096:
                    self._said.clear()
                self._said[ref] = text
        return Said(text, ref)

    def say_list(self, id: str, name: str, parts: tuple[Said | MessageRef | str, ...]) -> Said:
        """``say(id, **{name: parts})`` of a message whose one parameter is a list, joining the
        parts' English as ``render`` joins a tuple (", "): a part already said is not rendered
        again, and neither the sentence nor a part given as a ref goes through say()'s cache
        (a switch port's "up, 1 Gbit/s, errors 2.00/s": its numbers rarely repeat)."""
        ref = self.ref(id, **{name: tuple(p.ref if isinstance(p, Said) else p for p in parts)})
        joined = ", ".join(p.text if isinstance(p, Said) else self._render(p) if isinstance(p, MessageRef) else str(p)
                           for p in parts)
        template = self._english(id)
        assert template is not None  # ref() checked it is declared
        return Said(template.format(**{name: joined}), ref)


# --- JSON: the wire, the collector push and the store keep a message as
# {"id": "system.cpu", "params": {"busy": 99.0, "what": {"id": ..., "params": {...}}, "list": [...]}}

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
# Nesting of messages in parameters (a "a; b; c" list nests one level a part); a pushed
# message is also bounded in size (agent/fleet/protocol.py), so in work.
MAX_DEPTH = 8


def to_json(ref: MessageRef) -> dict[str, Any]:
    def value(v: Any) -> Any:
        if isinstance(v, MessageRef):
            return to_json(v)
        if isinstance(v, tuple):
            return [value(x) for x in v]
        return v

    return {"id": ref.id, "params": {name: value(v) for name, v in ref.params}}


def from_json(data: Any, depth: int = 0) -> MessageRef:
    """A message from its JSON; ``ValueError`` naming what is wrong (never a crash on bad input)."""
    if depth > MAX_DEPTH:
        raise ValueError(f"message nested deeper than {MAX_DEPTH}")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("params", {}), dict):
        raise ValueError("message is not an object with an 'id' text and a 'params' object")
    mid = data["id"]
    if not mid or len(mid) > 128 or not set(mid) <= _ID_CHARS:
        raise ValueError(f"message id {mid[:40]!r} is not a dotted name")

    def value(v: Any) -> Any:
        if isinstance(v, dict):
            return from_json(v, depth + 1)
        if isinstance(v, list):
            return tuple(value(x) for x in v)
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise ValueError(f"message {mid!r}: a parameter is {type(v).__name__}, not text, a number or a message")
        return v

    params = data.get("params", {})
    if not all(isinstance(k, str) and k.isidentifier() for k in params):
        raise ValueError(f"message {mid!r}: parameter names must be identifiers")
    return MessageRef(mid, tuple(sorted((k, value(v)) for k, v in params.items())))


def from_json_or_none(data: Any) -> MessageRef | None:
    """For stored rows: a missing or unreadable message is the English summary only."""
    if data is None:
        return None
    try:
        return from_json(data)
    except ValueError:
        return None


# Wording several collectors share (durations, yes/no states), nested in their sentences.
COMMON = Messages({
    "common.duration.days": "{days}d {hours}h",
    "common.duration.hours": "{hours}h {minutes}m",
    "common.semicolons": "{first}; {rest}",
})


# What the runner (agent/runner.py) says of a run that gave no results: its own timeout, or the
# one-line reason of the exception (FetchError's text, which names what failed).
RUN = Messages({
    "run.timeout": "timed out after {seconds:g} s",
    "run.failed": "{error}",
})


def semicolons(parts: list[MessageRef | str]) -> MessageRef | str:
    """Parts of different kinds joined "a; b; c" (a tuple parameter joins like items of one list)."""
    joined = parts[-1]
    for part in reversed(parts[:-1]):
        joined = COMMON.ref("common.semicolons", first=part, rest=joined)
    return joined


def duration(seconds: float) -> MessageRef:
    """A duration as "3d 4h" / "2h 5m" (English) or its translation."""
    days, rest = divmod(int(max(seconds, 0)), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return COMMON.ref("common.duration.days", days=days, hours=hours)
    return COMMON.ref("common.duration.hours", hours=hours, minutes=rest // 60)
