"""Console sign-in against Active Directory (agent/serve/console/directory.py): the names
people type, group DNs, the role mapping, and a real Samba AD DC (tests/domain/conftest.py)
with a user in a mapped group, one in none, a wrong password and a disabled account."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.serve.console import directory
from config.console import ActiveDirectorySignIn
from tests.domain.conftest import DISABLED_PASSWORD, DISABLED_USER, REALM, REPO, _samba_tool
from tests.domain.conftest import domain_controller  # noqa: F401 - the session's real Samba AD DC

ENGINEER, ENGINEER_PW = "li.na", "Li!Na-Console-4821"
NOBODY, NOBODY_PW = "wang.wu", "Wang!Wu-Console-7350"
GROUP = "Patrol Engineers"
SETTINGS = {"realm": REALM, "dc": "127.0.0.1", "ldap": {"security": "plain"},
            "groups": [{"group": "Patrol Admins", "role": "admin"}, {"group": GROUP, "role": "engineer"},
                       {"group": "Acme Reps", "role": "viewer", "site": "acme"}]}


@pytest.mark.parametrize("typed, name", [("li.na", "li.na"), ("li.na@ex.test", "li.na"), ("EX\\li.na", "li.na"),
                                         ("EX.TEST\\li.na", "li.na"), ("li.na@other.test", None),
                                         ("OTHER\\li.na", None), ("*)(cn=*", None), ("", None), ("a" * 21, None)])
def test_account_names_people_type(typed, name):
    assert directory.account_name(typed, REALM) == name


def test_group_names_from_member_of():
    dns = ["CN=Patrol Engineers,OU=Groups,DC=ex,DC=test", r"CN=Smith\, John's team,DC=ex,DC=test", "OU=odd"]
    assert directory.group_names(dns) == ("Patrol Engineers", "Smith, John's team")


def test_first_configured_group_wins_case_insensitively():
    mapping = ActiveDirectorySignIn.model_validate(SETTINGS).groups
    assert directory.grant(["patrol engineers", "Patrol Admins"], mapping) == directory.Grant("admin", None,
                                                                                                "Patrol Admins")
    assert directory.grant(["Acme Reps"], mapping) == directory.Grant("viewer", "acme", "Acme Reps")
    assert directory.grant(["Domain Users"], mapping) is None


def test_a_viewer_group_needs_a_site():
    with pytest.raises(ValueError, match="a viewer sees one site"):
        ActiveDirectorySignIn.model_validate(SETTINGS | {"groups": [{"group": "Reps", "role": "viewer"}]})


def test_an_account_of_another_domain_is_not_sent_to_the_dc():
    settings = SimpleNamespace(realm=REALM)
    answer = directory.sign_in(settings, "li.na@other.test", "x", lambda: None)
    assert not answer.ok and "not an account of EX.TEST" in answer.reason


@pytest.fixture(scope="module")
def ad_users(domain_controller):  # noqa: F811
    conf, sam = domain_controller.root / "etc" / "smb.conf", f"{domain_controller.root}/private/sam.ldb"
    for user, password in ((ENGINEER, ENGINEER_PW), (NOBODY, NOBODY_PW)):
        _samba_tool("user", "create", user, password, "-H", sam, conf=conf)
    _samba_tool("group", "add", GROUP, "-H", sam, conf=conf)
    _samba_tool("group", "addmembers", GROUP, ENGINEER, "-H", sam, conf=conf)
    return domain_controller


def sign_in_in_namespace(dc, cases: dict[str, list[str]]) -> dict:
    spec = dc.root / f"console-sign-in-{os.getpid()}.json"
    spec.write_text(json.dumps({"settings": SETTINGS, "cases": cases}))
    done = subprocess.run([shutil.which("ip"), "netns", "exec", dc.netns, sys.executable,
                           str(Path(__file__).with_name("ns_sign_in.py")), str(spec)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_sign_in_against_a_real_samba_ad_dc(ad_users):
    got = sign_in_in_namespace(ad_users, {
        "engineer": [ENGINEER, ENGINEER_PW],
        "engineer_upn": [f"{ENGINEER}@ex.test", ENGINEER_PW],
        "wrong_password": [ENGINEER, ENGINEER_PW + "-wrong"],
        "no_group": [NOBODY, NOBODY_PW],
        "disabled": [DISABLED_USER, DISABLED_PASSWORD],
        "unknown": ["no-such-user", "Whatever!Pw-1234"],
        "empty_password": [ENGINEER, ""],
    })
    assert got["engineer"]["ok"] and GROUP in got["engineer"]["groups"]
    assert got["engineer"]["grant"] == ["engineer", None]
    assert got["engineer_upn"]["grant"] == ["engineer", None]
    assert not got["wrong_password"]["ok"] and got["wrong_password"]["reason"] == "wrong password for li.na"
    assert got["no_group"]["ok"] and got["no_group"]["grant"] is None  # a valid account, but no console role
    assert not got["disabled"]["ok"] and "disabled" in got["disabled"]["reason"], got["disabled"]
    assert not got["unknown"]["ok"], got["unknown"]
    assert not got["empty_password"]["ok"] and "anonymous" in got["empty_password"]["reason"]
    text = json.dumps(got)
    assert ENGINEER_PW not in text and NOBODY_PW not in text  # no password in any answer


def test_console_login_route_signs_in_ad_users_by_their_groups(ad_users, tmp_path):
    """A real `patrol serve` in the DC's namespace with serve.console.active_directory: an
    AD engineer signs in as engineer, a wrong password and a user in no mapped group get
    401, a local user still signs in locally; the audit log says how and why."""
    import sqlalchemy as sa

    from tests.console.conftest import PASSWORDS, add_user
    from tests.domain.conftest import _listening_in
    from tests.support.fleet import collector_config, patrol_argv
    from tests.support.proc import ServerProcess, free_port, wait_until

    port = free_port()
    groups = ", ".join(f"{{group: '{g['group']}', role: {g['role']}" + (f", site: {g['site']}}}" if "site" in g else "}")
                       for g in SETTINGS["groups"])
    config = collector_config(tmp_path, port=port, site="acme", serve=(
        f"console: {{active_directory: {{realm: {REALM}, dc: 127.0.0.1, ldap: {{security: plain}}, "
        f"groups: [{groups}]}}}}"))
    assert add_user(config, "admin", "admin").returncode == 0
    proc = ServerProcess([shutil.which("ip"), "netns", "exec", ad_users.netns, *patrol_argv(config, "serve", "--no-devices")],
                         log_path=tmp_path / "serve.log", cwd=REPO)
    try:
        wait_until(lambda: _listening_in(proc.pid, {port}), 60, "patrol serve in the DC's namespace", proc)
        cases = tmp_path / "logins.json"
        cases.write_text(json.dumps({"engineer": [ENGINEER, ENGINEER_PW], "wrong": [ENGINEER, "Not!The-Pw-000"],
                                     "no_group": [NOBODY, NOBODY_PW], "local": ["admin", PASSWORDS["admin"]]}))
        done = subprocess.run([shutil.which("ip"), "netns", "exec", ad_users.netns, sys.executable,
                               str(Path(__file__).with_name("ns_login.py")), f"https://127.0.0.1:{port}",
                               str(tmp_path / "state" / "tls" / "ca.pem"), str(cases)],
                              capture_output=True, text=True, timeout=180, cwd=REPO)
        assert done.returncode == 0, done.stderr[-3000:] + proc.log_tail()
    finally:
        proc.stop()
    got = json.loads(done.stdout)
    assert got == {"engineer": {"status": 303, "role": "engineer"}, "wrong": {"status": 401, "role": None},
                   "no_group": {"status": 401, "role": None}, "local": {"status": 303, "role": "admin"}}
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'state' / 'patrol.sqlite'}")
    with engine.connect() as conn:
        rows = [(a, s, json.loads(d)) for a, s, d in conn.exec_driver_sql(
            "SELECT action, subject, detail FROM audit WHERE action LIKE 'console.login%' ORDER BY id")]
        users = dict(conn.exec_driver_sql("SELECT username, role FROM console_users").all())
    engine.dispose()
    assert users == {"admin": "admin", f"{ENGINEER}@{REALM}": "engineer"}  # no row for the refused ones
    ok = [d for a, s, d in rows if a == "console.login" and s == f"{ENGINEER}@{REALM}"]
    assert ok and ok[0]["via"] == "active_directory" and ok[0]["role"] == "engineer"
    failed = {s: d["directory"] for a, s, d in rows if a == "console.login.failed"}
    assert failed == {ENGINEER: "wrong password for li.na",
                      NOBODY: f"{NOBODY} is in none of the groups of serve.console.active_directory"}
    assert ENGINEER_PW not in (tmp_path / "serve.log").read_text()
