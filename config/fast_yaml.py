"""Build Python data straight from libyaml's events, for the documents most files are.

PyYAML's safe loader first composes a node object for every value (tag resolution, marks
and the node in Python code) and then constructs the data from the nodes in Python code
again: for a 40,000-target inventory (3.8 MB) that was 4.9 s of composing and 2.8 s of
constructing. Reading the parser's events and building dicts, lists and scalars in one
loop takes under a second for the same file (bench/inventory_load.py).

Only the plain subset is built here: one document; mappings, sequences and scalars with no
explicit tag, no anchors or aliases, no merge keys, scalar mapping keys. Scalars are
resolved with PyYAML's own YAML 1.1 implicit resolvers and non-string values built by its
own SafeConstructor, so the data is exactly what ``yaml.safe_load`` gives. Anything else
(including every error) raises ``NotPlain`` and the caller uses the full loader, which also
owns every error message and the alias-bomb guard. Line numbers are not kept: they matter
only when a value is wrong, and the caller composes the nodes again then.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (DocumentEndEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent,
                         SequenceStartEvent, StreamEndEvent)

# Implicit tags that change how a mapping is built: left to the full loader.
_STRUCTURAL = {"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}


class NotPlain(Exception):
    """The text uses something outside the plain subset, or is not valid YAML."""


class _NoDocument:
    """The text holds no document at all (empty or only comments)."""


NO_DOCUMENT = _NoDocument()


def load_plain(text: str) -> Any:
    """The data of ``text``'s single document, ``NO_DOCUMENT`` for an empty stream, or
    ``NotPlain``."""
    loader = yaml.CSafeLoader(text) if hasattr(yaml, "CSafeLoader") else None
    if loader is None:  # PyYAML built without libyaml: no fast path to take
        raise NotPlain("libyaml is not available")
    try:
        return _build(loader)
    except NotPlain:
        raise
    except Exception as exc:  # a syntax or value error: the full loader reports it with its line
        raise NotPlain(str(exc)) from None
    finally:
        loader.dispose()


def _build(loader: Any) -> Any:
    get = loader.get_event
    get()  # StreamStartEvent
    event = get()
    if isinstance(event, StreamEndEvent):
        return NO_DOCUMENT
    resolvers = loader.yaml_implicit_resolvers
    constructors = yaml.constructor.SafeConstructor.yaml_constructors
    constructor = yaml.constructor.SafeConstructor()
    # The open containers, innermost last: (container, is_mapping, key waiting for its value).
    stack: list[tuple[Any, bool, Any]] = []
    container: Any = None
    is_mapping = False
    key: Any = _NoDocument  # a marker: no key read yet
    root: Any = None
    while True:
        event = get()
        kind = event.__class__
        if kind is ScalarEvent:
            if event.anchor is not None:
                raise NotPlain("anchor")
            value = event.value
            tag = event.tag
            if tag is not None and tag != "!":
                raise NotPlain("explicit tag")
            if event.implicit[0]:
                # PyYAML's Resolver.resolve: the resolvers listed for the first character.
                for candidate, pattern in resolvers.get(value[0] if value else "", ()):
                    if pattern.match(value):
                        if candidate in _STRUCTURAL:
                            raise NotPlain("merge key")
                        value = constructors[candidate](constructor, yaml.ScalarNode(candidate, value))
                        break
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or (event.tag is not None and event.tag != "!"):
                raise NotPlain("anchor or explicit tag")
            if is_mapping and key is _NoDocument:
                raise NotPlain("a mapping or list as a key")
            stack.append((container, is_mapping, key))
            container, is_mapping, key = ({}, True, _NoDocument) if kind is MappingStartEvent else ([], False, None)
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = container
            container, is_mapping, key = stack.pop()
        elif kind is DocumentEndEvent:
            if not isinstance(get(), StreamEndEvent):
                raise NotPlain("more than one document")
            return root
        else:  # an alias
            raise NotPlain(type(event).__name__)
        if container is None:
            root = value
        elif not is_mapping:
            container.append(value)
        elif key is _NoDocument:
            key = value
        else:
            container[key] = value
            key = _NoDocument
