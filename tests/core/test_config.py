"""Config loading: errors name the file, line and key path; secrets are references only."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.example import checked_in_example, example_yaml
from config.loader import ConfigError, load_settings
from config.schema import Settings
from config.secrets import SecretRef, SecretUnavailable, parse_secret_ref


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "patrol.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    return [str(p) for p in info.value.problems]


def test_no_config_at_all_is_valid():
    settings = load_settings(None)
    assert settings.checks.system.enabled
    assert settings.exporter.listen == "127.0.0.1:9469"
    assert settings.store_url.startswith("sqlite:///")


def test_empty_file_is_valid(tmp_path):
    assert load_settings(write(tmp_path, "")) == Settings().with_base_dir(tmp_path)


@pytest.mark.parametrize("text, expected", [
    pytest.param("checks:\n  system:\n    schedule:\n      intervall_s: 30\n",
                 "patrol.yaml:4: checks.system.schedule.intervall_s: unknown key 'intervall_s'; did you mean 'interval_s'?",
                 id="unknown-key-suggests-close-one"),
    pytest.param("agent:\n  site: hq\n  rolle: endpoint\n",
                 "patrol.yaml:3: agent.rolle: unknown key 'rolle'; did you mean 'role'?", id="unknown-key-in-agent"),
    pytest.param("checks:\n  system:\n    memory_used_percent:\n      warn: high\n",
                 "patrol.yaml:4: checks.system.memory_used_percent.warn: Input should be a valid number",
                 id="bad-type-names-line"),
    pytest.param("exporter:\n  listen: 9469\n", "patrol.yaml:2: exporter.listen: Input should be a valid string",
                 id="port-without-host"),
    pytest.param("exporter:\n  listen: 'localhost'\n", "patrol.yaml:2: exporter.listen: expected host:port",
                 id="listen-without-port"),
    pytest.param("checks:\n  system:\n    schedule: {cron: '0 8 * *'}\n", "patrol.yaml:3: checks.system.schedule: cron needs 5 fields",
                 id="cron-wrong-field-count"),
    pytest.param("store:\n  url: postgresql+psycopg://patrol:s3cret@db/patrol\n",
                 "patrol.yaml:2: store.url: the store URL contains a password", id="password-in-store-url"),
    pytest.param("agent: [1, 2]\n", "patrol.yaml:1: agent: Input should be a valid dictionary", id="section-not-mapping"),
    pytest.param("wibble: 1\n", "patrol.yaml:1: wibble: unknown key 'wibble'", id="unknown-top-level"),
])
def test_errors_name_line_and_key(tmp_path, text, expected):
    found = problems(tmp_path, text)
    assert any(expected in p for p in found), found


def test_not_yaml_names_the_line(tmp_path):
    found = problems(tmp_path, "agent:\n  site: hq\n  name: [unclosed\n")
    assert len(found) == 1 and found[0].startswith(f"{tmp_path / 'patrol.yaml'}:") and "not valid YAML" in found[0]


def test_not_utf8(tmp_path):
    path = tmp_path / "patrol.yaml"
    path.write_bytes(b"agent:\n  site: \xff\xfe\n")
    with pytest.raises(ConfigError, match="patrol.yaml:2: not UTF-8"):
        load_settings(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "nope.yaml")


def test_every_problem_is_reported_at_once(tmp_path):
    found = problems(tmp_path, "agent:\n  sitee: hq\nexporter:\n  listen: nowhere\n")
    assert len(found) == 2


@pytest.mark.parametrize("value", ["hunter2", "s3cret:with-colon", "vault:kv/x", "file:relative/path"])
def test_plain_text_secret_is_refused_without_echoing_it(value):
    with pytest.raises(ValueError) as info:
        parse_secret_ref(value)
    assert value not in str(info.value)


def test_plain_text_secret_in_inventory_names_line_and_not_value(tmp_path):
    from inventory.loader import load_inventory

    path = tmp_path / "inv.yaml"
    path.write_text("network_devices:\n  - name: sw1\n    address: 10.0.0.1\n    snmp:\n      community: public123\n")
    with pytest.raises(ConfigError) as info:
        load_inventory(path)
    text = str(info.value)
    assert "inv.yaml:5: network_devices[0].snmp.community: plain-text secrets are refused" in text
    assert "public123" not in text


def test_secret_refs_resolve(tmp_path, monkeypatch):
    monkeypatch.setenv("PATROL_TEST_SECRET", "value-1")
    assert parse_secret_ref("env:PATROL_TEST_SECRET").resolve() == "value-1"
    secret_file = tmp_path / "s"
    secret_file.write_text("value-2\nignored\n")
    assert parse_secret_ref(f"file:{secret_file}").resolve() == "value-2"
    with pytest.raises(SecretUnavailable, match="PATROL_TEST_MISSING is not set"):
        SecretRef("env", "PATROL_TEST_MISSING").resolve()


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    settings = load_settings(write(tmp_path, "paths: {state_dir: state}\n"))
    assert settings.state_dir == tmp_path / "state"
    assert settings.store_url == f"sqlite:///{tmp_path / 'state' / 'patrol.sqlite'}"


def test_plugin_settings_are_kept_for_the_plugin(tmp_path):
    settings = load_settings(write(tmp_path, "checks:\n  plugins:\n    ups: {enabled: false, battery_min: 30}\n"))
    assert settings.checks.for_family("ups") == {"enabled": False, "battery_min": 30}


def test_checked_in_example_matches_the_schema():
    assert checked_in_example().read_text(encoding="utf-8") == example_yaml(), (
        "config/example.yaml drifted from the schema: run `patrol config example > config/example.yaml`")


def test_generated_example_loads_and_equals_defaults(tmp_path):
    settings = load_settings(write(tmp_path, example_yaml()))
    defaults = Settings.model_validate({"agent": {"name": "this-computer"}})
    assert settings.model_dump() == defaults.model_dump()


def test_settings_are_frozen():
    settings = Settings()
    with pytest.raises(Exception):
        settings.agent.site = "x"  # type: ignore[misc]
