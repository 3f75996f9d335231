"""The fast YAML path gives exactly what PyYAML's safe loader gives, or steps aside.

config/fast_yaml.py builds data from libyaml's events for plain documents; everything else
(anchors, tags, merge keys, errors) must raise NotPlain so the full loader, with its line
numbers and alias-bomb guard, takes over.
"""

from __future__ import annotations

import gc
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from config.fast_yaml import NO_DOCUMENT, NotPlain, load_plain
from config.loader import ConfigError, parse_yaml
from inventory.loader import load_inventory
from inventory.models import check_address

# Scalars whose YAML 1.1 meaning is easy to get wrong: booleans in every spelling PyYAML
# accepts, octal/hex/underscored/sexagesimal ints, special floats, dates and times, and the
# quoted forms that must stay strings.
TRICKY_SCALARS = """\
a: yes
b: No
c: on
d: OFF
e: ~
f:
g: null
h: 0o17
i: 0x1F
j: 1_000
k: 1:30
l: 017
m: .inf
n: -.Inf
o: 1e3
p: 6.8523015e+5
q: 2026-09-30
r: 2026-09-30 10:00:00+08:00
s: 2026-09-30T10:00:00.5Z
t: 'yes'
u: "0x1F"
v: ! 12
w: 10.1.0.1
x: -0
y: +12
z: 12abc
1: int key
2026-01-01: date key
null: null key
? plain question key
: its value
folded: >
  two
  lines
literal: |
  keep
   indent
flow: {a: [1, 'b', {c: no}], d: []}
"""


def _same(a, b) -> bool:
    """Equality that also holds for NaN and keeps bool apart from int (True == 1 in Python)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_tricky_scalars_read_as_pyyaml_reads_them():
    assert _same(load_plain(TRICKY_SCALARS), yaml.safe_load(TRICKY_SCALARS))
    assert math.isnan(load_plain("x: .NaN")["x"])


def test_an_empty_stream_is_no_document_and_an_empty_document_is_null():
    assert load_plain("") is NO_DOCUMENT
    assert load_plain("# only a comment\n") is NO_DOCUMENT
    assert load_plain("---\n") is None
    assert parse_yaml("", "f.yaml").data == {}


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n",                       # anchors and aliases: the alias-bomb guard's job
    "base: &b {x: 1}\nc:\n  <<: *b\n",        # merge key
    "a: !!str 12\n",                          # explicit tag
    "a: !!binary aGVsbG8=\n",
    "a: !custom 1\n",
    "? [a, b]\n: c\n",                        # a list as a key
    "? {a: 1}\n: c\n",
    "a: 1\n---\nb: 2\n",                      # two documents
    "a: [1, 2\n",                             # syntax error
    "a: 2026-09-31\n",                        # a date that does not exist
    "a: =\n",                                 # the value key
])
def test_what_the_fast_path_leaves_to_the_full_loader(text):
    with pytest.raises(NotPlain):
        load_plain(text)


def test_errors_still_name_their_line_through_the_full_loader():
    with pytest.raises(ConfigError) as info:
        parse_yaml("a: 1\nb:\n  c: 2026-09-31\n", "site.yaml")
    assert "site.yaml:3" in str(info.value)


def test_a_fast_document_finds_lines_when_asked(tmp_path: Path):
    # The line map is composed only when a problem needs it; it must still be right.
    doc = parse_yaml("site: {name: hq}\nhosts:\n  - name: pc-1\n    adress: 10.0.0.1\n", "inv.yaml")
    assert doc.line_of(("hosts", 0, "adress")) == 4
    assert doc.line_of(("hosts", 0, "missing", "deeper")) == 3
    path = tmp_path / "inv.yaml"
    path.write_text("site: {name: hq}\nhosts:\n  - name: pc-1\n    adress: 10.0.0.1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_inventory(path, local_name="me")
    assert "inv.yaml:4: hosts[0].adress: unknown key 'adress'; did you mean 'address'?" in str(info.value)


def test_loading_an_inventory_restores_the_cycle_collector(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text("hosts:\n  - {name: pc-1, address: 10.0.0.1}\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("hosts:\n  - {name: pc-1, address: 'not an address!'}\n", encoding="utf-8")
    assert gc.isenabled()
    load_inventory(good, local_name="me")
    assert gc.isenabled()
    with pytest.raises(ConfigError):
        load_inventory(bad, local_name="me")
    assert gc.isenabled()
    gc.disable()
    try:
        load_inventory(good, local_name="me")
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


@pytest.mark.parametrize("given_address, expected", [
    ("10.1.0.1", "10.1.0.1"), (" 10.1.0.1 ", "10.1.0.1"), ("fe80::1", "fe80::1"),
    ("FE80:0:0::1", "fe80::1"), ("sw-core-1.example.com", "sw-core-1.example.com")])
def test_addresses_keep_their_canonical_form(given_address, expected):
    assert check_address(given_address) == expected


@pytest.mark.parametrize("bad", ["10.1.0.01", "010.1.0.1", "10.1.0", "256.1.1.1", "1.2.3.4.5"])
def test_addresses_the_ip_parser_refuses_stay_refused(bad):
    with pytest.raises(ValueError):
        check_address(bad)


_keys = st.one_of(st.text(min_size=1, max_size=12), st.integers(-5, 5), st.booleans())
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     st.text(max_size=20), st.dates(), st.sampled_from(["yes", "No", "~", "0o17", "1:30", "2026-02-30",
                                                                         "<<", "=", "!x", "&a", "*a", "- x", ": y"]))
_data = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(_keys, inner, max_size=4)), max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_data, flow=st.sampled_from([None, True, False]))
def test_any_dumped_document_reads_back_as_pyyaml_reads_it(data, flow):
    # safe_dump of tree-shaped data writes no anchors or tags: the fast path must read every one.
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    assert _same(load_plain(text), yaml.safe_load(text))
