"""The site's topology map: devices and LLDP/CDP links, laid out on the server.

The layout depends only on which devices and links exist (sorted), never on states or
on the order rows come from the store, so a refresh that only changes colours leaves
every device where it was. Layers: the best-connected device at the top, then each
device one hop further down a layer (breadth first); devices without links last.
Pure functions: links and states in, positions and colours out.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from collectors.base import State

PORT_CHECK = "switch.port"  # one result per port, item = ifName (collectors/switch.py)
ROW_GAP, COL_GAP, MARGIN, MAX_PER_ROW = 110, 120, 60, 16


@dataclass(frozen=True, slots=True)
class MapNode:
    name: str
    x: int
    y: int
    state: State | None  # None: a neighbour the site does not monitor


@dataclass(frozen=True, slots=True)
class MapLink:
    a: str
    a_port: str
    b: str
    b_port: str
    state: State | None  # the worse of the two ports' states; None when neither is known
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True, slots=True)
class TopologyMap:
    nodes: tuple[MapNode, ...]
    links: tuple[MapLink, ...]
    width: int
    height: int


def layout(names: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """Stable positions: layers by hop distance from the best-connected device."""
    nodes = sorted(set(names))
    adjacent: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        if a != b:
            adjacent[a].add(b)
            adjacent[b].add(a)
    layer: dict[str, int] = {}
    connected = [n for n in nodes if adjacent[n]]
    # Components one after another, each from its best-connected device (ties by name).
    for root in sorted(connected, key=lambda n: (-len(adjacent[n]), n)):
        if root in layer:
            continue
        base = max(layer.values(), default=-1) + 1
        layer[root] = base
        queue = deque([root])
        while queue:
            node = queue.popleft()
            for nxt in sorted(adjacent[node]):
                if nxt not in layer:
                    layer[nxt] = layer[node] + 1
                    queue.append(nxt)
    rows: dict[int, list[str]] = defaultdict(list)
    for n in connected:
        rows[layer[n]].append(n)
    loners = [n for n in nodes if not adjacent[n]]
    next_row = max(rows, default=-1) + 1
    for i in range(0, len(loners), MAX_PER_ROW):
        rows[next_row] = loners[i:i + MAX_PER_ROW]
        next_row += 1
    # Long layers wrap into several rows so the map stays readable.
    positions: dict[str, tuple[int, int]] = {}
    y = MARGIN
    for key in sorted(rows):
        members = sorted(rows[key])
        for i in range(0, len(members), MAX_PER_ROW):
            chunk = members[i:i + MAX_PER_ROW]
            for j, name in enumerate(chunk):
                positions[name] = (MARGIN + j * COL_GAP, y)
            y += ROW_GAP
    return positions


def build_map(links: Sequence[object], device_states: Mapping[str, State],
              port_states: Mapping[tuple[str, str], State], devices: Iterable[str] = ()) -> TopologyMap:
    """``links``: agent.topology.queries.Link rows; ``port_states``: (device, port) -> state
    of its switch.port result. A link seen from both ends is drawn once."""
    seen: dict[tuple[tuple[str, str], tuple[str, str]], tuple[str, str, str, str]] = {}
    for link in links:
        a, b = (link.device, link.local_port), (link.remote_name, link.remote_port)  # type: ignore[attr-defined]
        key = (min(a, b), max(a, b))
        seen.setdefault(key, (*key[0], *key[1]))
    names = set(devices) | {k[0][0] for k in seen} | {k[1][0] for k in seen}
    pos = layout(names, ((a, b) for a, _, b, _ in seen.values()))
    out_links = []
    for a, a_port, b, b_port in sorted(seen.values()):
        known = [s for s in (port_states.get((a, a_port)), port_states.get((b, b_port))) if s is not None]
        (x1, y1), (x2, y2) = pos[a], pos[b]
        out_links.append(MapLink(a, a_port, b, b_port, State.worst(known) if known else None, x1, y1, x2, y2))
    nodes = tuple(MapNode(n, *pos[n], device_states.get(n)) for n in sorted(pos))
    width = max((x for x, _ in pos.values()), default=0) + 2 * MARGIN
    height = max((y for _, y in pos.values()), default=0) + MARGIN
    return TopologyMap(nodes, tuple(out_links), width, height)

