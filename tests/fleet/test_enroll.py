"""`patrol enroll` against a real HTTPS server on 127.0.0.1 (tests/fleet/recording_collector.py)."""

from __future__ import annotations

import json
import stat

import pytest

from agent.cli import main
from agent.fleet.protocol import CA_PATH, ENROLL_PATH
from agent.run.enroll import EnrollFailed, check_pin, colon_hex, normalize_fingerprint, parse_ca
from config.fleet_state import FleetPaths
from tests.fleet.recording_collector import make_pki
from tests.support.proc import free_port

TOKEN = "pet_" + "t" * 40
CREDENTIAL = "pac_secret-credential-value-0123456789"


def enrolled_answer(seen):
    return 200, {"agent_id": "a" * 32, "site": "acme", "target": "pc-0412", "credential": CREDENTIAL,
                 "reenrolled": False}, {}


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "patrol.yaml"
    path.write_text("agent: {name: pc-0412, site: acme}\npaths: {state_dir: state}\ncollector: {timeout_s: 5}\n")
    return path


def run_enroll(config, url, *extra):
    return main(["-c", str(config), "enroll", url, "--token", TOKEN, *extra])


@pytest.mark.parametrize("given", ["{fp}", "{FP_COLONS}", "sha256={FP_COLONS}"])
def test_enrol_with_the_right_fingerprint(collector, config, capsys, given, pki):
    collector.script.default[ENROLL_PATH] = enrolled_answer
    fp = given.format(fp=pki.ca_fingerprint, FP_COLONS=colon_hex(pki.ca_fingerprint))
    assert run_enroll(config, collector.url, "--ca-fingerprint", fp) == 0
    out, err = capsys.readouterr()
    assert "matches" in out and "target pc-0412 of site acme" in out
    assert CREDENTIAL not in out + err
    paths = FleetPaths.under(config.parent / "state")
    saved = json.loads(paths.enrolment.read_text())
    assert saved == {"url": collector.url, "agent_id": "a" * 32, "site": "acme", "target": "pc-0412",
                     "credential": CREDENTIAL}
    assert stat.S_IMODE(paths.enrolment.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.root.stat().st_mode) == 0o700
    assert paths.ca.read_bytes() == pki.ca_pem
    (sent,) = collector.requests_to(ENROLL_PATH)
    assert sent.body["token"] == TOKEN and sent.body["name"] == "pc-0412"
    assert sent.body["identity"]["hostname"] and (sent.body["identity"]["machine_id"] or sent.body["identity"]["smbios_uuid"])
    assert sent.body["os"] and sent.body["version"]


def test_fingerprint_mismatch_refuses_before_sending_the_token(collector, config, capsys):
    collector.script.default[ENROLL_PATH] = enrolled_answer
    assert run_enroll(config, collector.url, "--ca-fingerprint", "ab" * 32) == 1
    err = capsys.readouterr().err
    assert "refusing to enrol" in err and colon_hex("ab" * 32) in err
    assert collector.requests_to(ENROLL_PATH) == []
    assert not FleetPaths.under(config.parent / "state").enrolled()


def test_without_a_fingerprint_the_ca_is_trusted_on_first_use(collector, config, capsys, pki):
    collector.script.default[ENROLL_PATH] = enrolled_answer
    assert run_enroll(config, collector.url) == 0
    out = capsys.readouterr().out
    assert "trusted on first use" in out and colon_hex(pki.ca_fingerprint) in out


def test_refused_token_shows_the_collectors_detail(collector, config, capsys):
    collector.script.push(ENROLL_PATH, (403, {"detail": "this enrolment token has expired\x1b[31m"}, {}))
    assert run_enroll(config, collector.url) == 1
    err = capsys.readouterr().err
    assert "refused the enrolment token: this enrolment token has expired" in err
    assert "\x1b" not in err  # the collector's text is data: no terminal escapes
    assert not FleetPaths.under(config.parent / "state").enrolled()


def test_a_ca_that_did_not_sign_the_server_certificate_is_a_tls_error(collector, config, capsys, tmp_path):
    other = make_pki(tmp_path / "other", ca_name="Someone Else")
    collector.script.default[CA_PATH] = lambda seen: (200, other.ca_pem, {})
    collector.script.default[ENROLL_PATH] = enrolled_answer
    assert run_enroll(config, collector.url, "--ca-fingerprint", other.ca_fingerprint) == 1
    err = capsys.readouterr().err
    assert err.startswith("patrol enroll: TLS failed with") and len(err.strip().splitlines()) == 1
    paths = FleetPaths.under(config.parent / "state")
    assert not paths.enrolled() and not paths.ca.exists()
    assert collector.requests_to(ENROLL_PATH) == []  # the handshake failed before the token went out


def test_unreachable_collector(config, capsys):
    assert run_enroll(config, f"https://127.0.0.1:{free_port()}") == 1
    err = capsys.readouterr().err
    assert err.startswith("patrol enroll: cannot reach https://127.0.0.1:") and len(err.strip().splitlines()) == 1


def test_http_url_is_refused(config, capsys):
    assert run_enroll(config, "http://127.0.0.1:9470") == 2
    assert "https://" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["ab" * 31, "zz" * 32, ""])
def test_bad_fingerprint_option(value):
    with pytest.raises(ValueError, match="64 hex digits"):
        normalize_fingerprint(value)


def test_pin_check(pki):
    ca = parse_ca(pki.ca_pem)
    assert ca.fingerprint == pki.ca_fingerprint
    assert check_pin(ca, pki.ca_fingerprint) is True
    assert check_pin(ca, None) is False
    with pytest.raises(EnrollFailed):
        check_pin(ca, "00" * 32)
    with pytest.raises(EnrollFailed, match="not a PEM certificate"):
        parse_ca(b"<html>hello</html>")
