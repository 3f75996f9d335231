"""Where config errors point: the exact line of a YAML syntax error, of a key whose value is
a block, of a list item, of the parent of a missing key; typo suggestions inside lists and
the list of known keys (issue 21: each of these survived a change to config/loader.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config.loader import ConfigError, _expanded_size, did_you_mean, load_settings, parse_yaml
from inventory.loader import load_inventory

SILENCE = "ticketing:\n  silences:\n    - target: pc-1\n      reason: disk swap\n"


def problems(tmp_path: Path, text: str, name: str = "patrol.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        (load_inventory if name == "inv.yaml" else load_settings)(path)
    return [str(p).removeprefix(f"{tmp_path}/") for p in caught.value.problems]


@pytest.mark.parametrize("text, expected", [
    pytest.param("agent:\n  site: hq\n   name: x\n",
                 "patrol.yaml:3: not valid YAML: mapping values are not allowed in this context", id="indentation"),
    pytest.param("agent:\n\tsite: hq\n", "patrol.yaml:2: not valid YAML: found character that cannot start any token",
                 id="tab"),
    pytest.param("agent:\n  site: hq\n  name: [unclosed\nexporter: {}\n",
                 "patrol.yaml:4: not valid YAML: did not find expected ',' or ']'", id="unclosed-list"),
])
def test_a_syntax_error_names_the_line_yaml_stopped_at(tmp_path, text, expected):
    assert problems(tmp_path, text) == [expected]


@pytest.mark.parametrize("text, expected", [
    pytest.param("checks:\n  system:\n    schedule:\n      cron: '0 8 * *'\n",
                 "patrol.yaml:3: checks.system.schedule: cron needs 5 fields (minute hour day month weekday), "
                 "got 4: '0 8 * *'", id="block-value-points-at-its-key"),
    pytest.param(SILENCE, "patrol.yaml:3: ticketing.silences[0].until: required key is missing",
                 id="missing-key-points-at-its-list-item"),
    pytest.param("ticketing:\n  maintenance:\n    - name: a\n      start: 2026-01-01T00:00:00Z\n"
                 "      end: 2026-01-01T01:00:00Z\n    - x\n",
                 "patrol.yaml:6: ticketing.maintenance[1]: Input should be a valid dictionary or instance of "
                 "MaintenanceWindow", id="bad-second-list-item"),
])
def test_validation_errors_name_the_line_and_key(tmp_path, text, expected):
    assert problems(tmp_path, text) == [expected]


def test_an_unknown_key_with_no_close_match_lists_the_known_ones(tmp_path):
    [problem] = problems(tmp_path, "agent:\n  zzz: 1\n")
    prefix = "patrol.yaml:2: agent.zzz: unknown key 'zzz'; known keys: "
    assert problem.startswith(prefix)
    known = problem.removeprefix(prefix).split(", ")
    assert known == sorted(known) and {"name", "role", "site"} <= set(known)


def test_a_typo_inside_a_list_item_gets_a_suggestion(tmp_path):
    found = problems(tmp_path, SILENCE + "      untill: 2026-01-01T00:00:00Z\n")
    assert found == ["patrol.yaml:3: ticketing.silences[0].until: required key is missing",
                     "patrol.yaml:5: ticketing.silences[0].untill: unknown key 'untill'; did you mean 'until'?"]


def test_inventory_errors_point_at_the_list_item(tmp_path):
    text = "network_devices:\n  - name: sw1\n    address: 10.0.0.1\n  - address: 10.0.0.2\n"
    assert problems(tmp_path, text, "inv.yaml") == ["inv.yaml:4: network_devices[1].name: required key is missing"]


def test_line_of_walks_up_to_the_nearest_recorded_key():
    doc = parse_yaml("a:\n  b:\n    - x\n    - c: 1\n      d: 2\n", "f.yaml")
    assert doc.line_of(("a",)) == 1
    assert doc.line_of(("a", "b")) == 2
    assert doc.line_of(("a", "b", 1)) == 4
    assert doc.line_of(("a", "b", 1, "d")) == 5
    assert doc.line_of(("a", "b", 1, "missing")) == 4
    assert doc.line_of(("nothing", "here")) == 1
    assert parse_yaml("", "empty.yaml").line_of(("x",)) == 1


def test_a_list_document_is_refused_naming_line_1(tmp_path):
    assert problems(tmp_path, "- a\n- b\n") == ["patrol.yaml:1: expected a mapping of settings, got list"]


def test_a_typo_below_a_list_item_gets_a_suggestion(tmp_path):
    text = "network_devices:\n  - name: sw1\n    address: 10.0.0.1\n    snmp:\n      comunity: env:X\n"
    assert problems(tmp_path, text, "inv.yaml") == [
        "inv.yaml:5: network_devices[0].snmp.comunity: unknown key 'comunity'; did you mean 'community'?"]


def test_an_anchor_used_from_several_places_is_not_a_recursive_alias():
    doc = parse_yaml("base: &b {x: 1}\none: {ref: *b}\ntwo: {ref: *b}\nthree: [*b, *b]\n", "f.yaml")
    assert doc.data["one"]["ref"] == doc.data["two"]["ref"] == {"x": 1} and len(doc.data["three"]) == 2
    assert doc.line_of(("two", "ref")) == 3


def test_a_recursive_alias_is_refused_with_its_line():
    with pytest.raises(ConfigError, match=r"f.yaml:2: not valid YAML: recursive alias: a value contains itself"):
        parse_yaml("top: 1\nloop: &a [1, *a]\n", "f.yaml")


@pytest.mark.parametrize("length,shown", [(80, True), (81, False)])
def test_a_value_that_does_not_match_its_tag_is_quoted_when_short(length, shown):
    value = "9" * (length - 1) + "z"
    with pytest.raises(ConfigError) as caught:
        parse_yaml(f"x: !!int {value}\n", "f.yaml")
    [problem] = caught.value.problems
    quoted = f" {value!r}" if shown else ""
    assert problem.line == 1 and problem.message.startswith(f"not valid YAML: cannot read the value{quoted} as a int")


@pytest.mark.parametrize("name,known,hint", [
    ("Core", ["edge", "core"], "; did you mean 'core'?"),        # case does not matter
    ("zz", ["edge", "core", "core"], "; known: core, edge"),     # sorted, once each
    ("x", [], ""),
])
def test_did_you_mean(name, known, hint):
    assert did_you_mean(name, known) == hint


def test_the_alias_cap_counts_every_value_once_per_use():
    # root, "base", [1, 2] (3 values), "use", and [1, 2] again through the alias: 9 values
    node = yaml.compose("base: &b [1, 2]\nuse: *b\n")
    _expanded_size(node, 9)
    with pytest.raises(yaml.constructor.ConstructorError, match="more than 8 values"):
        _expanded_size(node, 8)
