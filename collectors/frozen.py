"""A cheaper ``__init__`` for the frozen, slotted dataclasses made by the thousand per poll.

Why: the ``__init__`` that ``dataclass(frozen=True)`` writes stores each field with
``object.__setattr__(self, name, value)`` (the class's own ``__setattr__`` refuses, which is
what makes it frozen). That generic call looks the attribute up by name every time; a slotted
class has a descriptor per field whose ``__set__`` stores directly, about three times faster.
A switch poll makes some 600 metrics, refs and results (a site poll millions), and that
per-field cost was the largest single item in the profile of a collector replica (issue 18).

``quick_init`` replaces the generated ``__init__`` with one that has the same parameters,
defaults, default factories and ``__post_init__`` call, and stores through the slot
descriptors. Instances are the same: still frozen (assignment raises FrozenInstanceError),
equal, hashable, picklable; ``dataclasses.replace`` and ``fields`` work as before. Only for
plain classes: a field that is not an ``__init__`` parameter, keyword-only or an InitVar is
refused when the class is defined, not silently mishandled.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


class _Factory:
    """The default shown for a field with a default factory (as dataclasses shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def quick_init(cls: type[T]) -> type[T]:
    """Decorate a ``@dataclass(frozen=True, slots=True)`` class (put it above the dataclass line)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"quick_init: {cls.__name__} is not a frozen dataclass with slots=True")
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY}
    args: list[str] = []
    body: list[str] = []
    generated = cls.__init__  # type: ignore[misc]
    fields = dataclasses.fields(cls)
    code = generated.__code__
    # the generated __init__ takes exactly the fields, in order, none keyword-only (no InitVar)
    if code.co_varnames[:code.co_argcount] != ("self", *(f.name for f in fields)) or code.co_kwonlyargcount:
        raise TypeError(f"quick_init: {cls.__name__} has fields that are not plain positional parameters")
    for f in fields:
        namespace[f"_set_{f.name}"] = cls.__dict__[f.name].__set__  # the slot's member descriptor
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{f.name}"] = f.default
            args.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            args.append(f"{f.name}=_FACTORY")
            body.append(f"    if {f.name} is _FACTORY:\n        {f.name} = _factory_{f.name}()")
        else:
            args.append(f.name)
        body.append(f"    _set_{f.name}(self, {f.name})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    # the same construction as dataclasses' own: source text of the function, compiled once per class
    exec(f"def __init__(self, {', '.join(args)}):\n" + "\n".join(body or ["    pass"]) + "\n", namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = dict(generated.__annotations__)
    init.__doc__ = generated.__doc__
    init.dataclass_init = generated  # the one dataclasses wrote (tests compare the two)
    cls.__init__ = init  # type: ignore[misc]
    return cls
