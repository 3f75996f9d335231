"""Checks across fields that a single field's type cannot make: threshold order and
whether each secret reference can be read.

A ``WarnCrit`` pair has no direction of its own (disk used: higher is worse; days until a
password expires: lower is worse); the direction is the one of the field's default, so
``warn: 99, crit: 90`` on a used-percent is refused while ``warn: 14, crit: 3`` on an
expiry is right. A field whose default leaves a level off has no known direction and is
not judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from config.checks.base import WarnCrit
from config.secrets import SecretRef, SecretUnavailable

Loc = tuple[str | int, ...]


def threshold_problems(model: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """(key path, message) for every warn/crit pair ordered against its field's direction."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        here = loc + (field.alias or name,)
        if isinstance(value, WarnCrit):
            default = field.default
            if not isinstance(default, WarnCrit) or default.warn is None or default.crit is None:
                continue
            if value.warn is None or value.crit is None or default.warn == default.crit:
                continue
            higher_is_worse = default.warn < default.crit
            if higher_is_worse and value.warn > value.crit:
                yield here, (f"warn ({value.warn:g}) is above crit ({value.crit:g}): higher is worse here, "
                             "so warn must not exceed crit")
            elif not higher_is_worse and value.warn < value.crit:
                yield here, (f"warn ({value.warn:g}) is below crit ({value.crit:g}): lower is worse here, "
                             "so warn must not be below crit")
        elif isinstance(value, BaseModel):
            yield from threshold_problems(value, here)


def secret_refs(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, SecretRef]]:
    """Every secret reference inside a model (models, tuples and dicts walked)."""
    if isinstance(value, SecretRef):
        yield loc, value
    elif isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            yield from secret_refs(getattr(value, name), loc + (field.alias or name,))
    elif isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            yield from secret_refs(item, loc + (index,))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from secret_refs(item, loc + (str(key),))


def unreadable_secrets(value: Any, environ: dict[str, str] | None = None) -> Iterator[tuple[Loc, str]]:
    """(key path, why) for each secret reference that cannot be resolved now. The value
    read is dropped at once: it is never returned, printed or logged."""
    for loc, ref in secret_refs(value):
        try:
            ref.resolve(environ)
        except SecretUnavailable as exc:
            yield loc, str(exc)
