"""The domain login check against a real Samba AD DC (see conftest.py).

All ordinary cases run in one helper process inside the DC's namespace (one Python start,
the cases concurrently through the real runner); the clock-skew case runs in a second one
under libfaketime, which moves the check's clock (and kinit's) ten minutes ahead.
"""

from __future__ import annotations

import pytest

from tests.domain.conftest import (DISABLED_PASSWORD, DISABLED_USER, REALM, SHARE, SVC_PASSWORD, SVC_USER,
                                   faketime_env)

DATA = rf"\\127.0.0.1\{SHARE}"
MISSING = r"\\127.0.0.1\nosuch"


def settings(user: str = SVC_USER, password_env: str = "PATROL_TEST_SVC_PW", **overrides) -> dict:
    raw = {"realm": REALM, "dc": "127.0.0.1", "account": {"username": user, "password": f"env:{password_env}"},
           "ldap": {"security": "plain"}, "shares": [DATA], "connect_timeout_s": 5}
    raw.update(overrides)
    return raw


CASES = {
    "good": settings(),
    "wrong_password": settings(password_env="PATROL_TEST_WRONG_PW"),
    "disabled": settings(user=DISABLED_USER, password_env="PATROL_TEST_OLD_PW"),
    "missing_share": settings(shares=[MISSING]),
    # 127.0.0.2 is on the namespace's loopback too, but the DC listens only on 127.0.0.1.
    "kdc_unreachable": settings(dc="127.0.0.2", shares=[]),
    # Every DC tested: one of two answering is redundancy lost, none answering is down.
    "one_of_two_dcs_down": settings(other_dcs=["127.0.0.2"], shares=[]),
    "both_dcs_down": settings(dc="127.0.0.2", other_dcs=["127.0.0.3"], shares=[]),
    # The DCs listed by the directory: Samba's one DC, reached here as 127.0.0.1, is
    # recognised by its rootDSE dnsHostName and not tested twice.
    "discover_dcs": settings(discover_dcs=True, shares=[]),
    # Samba made itself a self-signed certificate at start: LDAPS works when not verified,
    # and StartTLS against the system's CA store must fail as untrusted.
    "ldaps_unverified": settings(ldap={"security": "ldaps", "verify_tls": False}, shares=[], kerberos="off"),
    "starttls_untrusted": settings(ldap={"security": "starttls"}, shares=[], kerberos="off"),
}


@pytest.fixture(scope="module")
def checked(domain_controller):
    return domain_controller.run_check(CASES)


@pytest.fixture(scope="module")
def skewed(domain_controller):
    return domain_controller.run_check({"good": settings()}, env=faketime_env("+10m"))


def states(results: list[dict]) -> dict[tuple[str, str], str]:
    return {(r["check"], r["item"]): r["state"] for r in results}


def summary(results: list[dict], check: str) -> str:
    return " | ".join(r["summary"] for r in results if r["check"] == check)


def test_good_login(checked) -> None:
    results = checked[0]["good"]
    assert states(results) == {
        ("domain.kerberos", REALM): "ok",
        ("domain.ldap", "127.0.0.1"): "ok",
        ("domain.account", SVC_USER): "ok",
        ("domain.clock_skew", "127.0.0.1"): "ok",
        ("domain.share", DATA): "ok",
    }, results
    assert "(1 entries)" in summary(results, "domain.share")
    assert "password expires in" in summary(results, "domain.account")
    skew = next(r for r in results if r["check"] == "domain.clock_skew")
    assert abs(skew["metrics"]["clock_skew_seconds"]) < 5


def test_wrong_password(checked) -> None:
    results = checked[0]["wrong_password"]
    assert states(results) == {
        ("domain.kerberos", REALM): "crit",
        ("domain.ldap", "127.0.0.1"): "crit",
        ("domain.clock_skew", "127.0.0.1"): "ok",  # read from the rootDSE before the bind
        ("domain.share", DATA): "crit",
    }, results
    assert summary(results, "domain.kerberos") == f"wrong password for {SVC_USER}@{REALM}"
    assert summary(results, "domain.ldap") == f"wrong password for {SVC_USER}@{REALM}"
    assert "SMB logon refused" in summary(results, "domain.share")


def test_disabled_account(checked) -> None:
    results = checked[0]["disabled"]
    assert states(results)[("domain.kerberos", REALM)] == "crit"
    assert "credentials have been revoked" in summary(results, "domain.kerberos")
    assert summary(results, "domain.ldap") == f"account {DISABLED_USER}@{REALM} is disabled (credentials have been revoked)"
    assert "is disabled (STATUS_ACCOUNT_DISABLED)" in summary(results, "domain.share")


def test_missing_share(checked) -> None:
    results = checked[0]["missing_share"]
    assert states(results)[("domain.share", MISSING)] == "crit"
    assert summary(results, "domain.share") == "share nosuch does not exist on 127.0.0.1 (STATUS_BAD_NETWORK_NAME)"
    assert states(results)[("domain.kerberos", REALM)] == "ok"


def test_kdc_unreachable(checked) -> None:
    results = checked[0]["kdc_unreachable"]
    assert states(results)[("domain.kerberos", REALM)] == "crit"
    assert summary(results, "domain.kerberos") == f"KDC unreachable: no answer from 127.0.0.2 for realm {REALM}"
    assert states(results)[("domain.ldap", "127.0.0.2")] == "crit"
    assert summary(results, "domain.ldap").startswith("LDAP server 127.0.0.2:389 unreachable")
    assert states(results)[("domain.clock_skew", "127.0.0.2")] == "unknown"


def test_one_dc_of_two_down_is_warn_naming_it(checked) -> None:
    results = checked[0]["one_of_two_dcs_down"]
    assert states(results)[("domain.kerberos", REALM)] == "warn"
    assert summary(results, "domain.kerberos") == (
        f"Kerberos fails on 1 of 2 domain controllers (redundancy lost): 127.0.0.2: KDC unreachable: no answer from "
        f"127.0.0.2 for realm {REALM}; works on 127.0.0.1")
    assert states(results)[("domain.ldap", "127.0.0.1")] == "warn"
    assert "127.0.0.2: LDAP server 127.0.0.2:389 unreachable" in summary(results, "domain.ldap")
    assert states(results)[("domain.account", SVC_USER)] == "ok"  # read from the DC that answered


def test_no_dc_answering_is_crit(checked) -> None:
    results = checked[0]["both_dcs_down"]
    assert states(results)[("domain.kerberos", REALM)] == "crit"
    assert summary(results, "domain.kerberos").startswith("Kerberos fails on every domain controller: 127.0.0.2: ")
    assert states(results)[("domain.ldap", "127.0.0.2")] == "crit"


def test_discovered_dcs_exclude_the_one_already_tested(checked) -> None:
    results, log = checked[0]["discover_dcs"], checked[1]
    assert states(results)[("domain.kerberos", REALM)] == "ok"
    assert states(results)[("domain.ldap", "127.0.0.1")] == "ok"
    assert "works on all" not in summary(results, "domain.ldap")  # one DC: nothing else was tested
    assert "(1 DC(s) from the directory)" in log


def test_clock_ten_minutes_off_is_crit(skewed) -> None:
    results = skewed[0]["good"]
    skew = next(r for r in results if r["check"] == "domain.clock_skew")
    assert skew["state"] == "crit"
    # faketime moved our clock ahead: the DC is about 600 s behind.
    assert -610 < skew["metrics"]["clock_skew_seconds"] < -590
    assert "behind this computer's" in skew["summary"]
    assert states(results)[("domain.kerberos", REALM)] == "crit"
    assert summary(results, "domain.kerberos").startswith("clock skew too great")


def test_no_password_in_results_or_logs(checked, skewed) -> None:
    for results, log in (checked, skewed):
        text = repr(results) + log
        for secret in (SVC_PASSWORD, DISABLED_PASSWORD):
            assert secret not in text
    assert "DEBUG" in checked[1]  # the log was captured at its most verbose


def test_ldaps_and_starttls(checked) -> None:
    ldaps = checked[0]["ldaps_unverified"]
    assert states(ldaps)[("domain.ldap", "127.0.0.1")] == "ok"
    assert summary(ldaps, "domain.ldap") == f"LDAP bind as {SVC_USER}@{REALM} on 127.0.0.1:636 and search of the account: ok"
    assert states(ldaps)[("domain.clock_skew", "127.0.0.1")] == "ok"
    untrusted = checked[0]["starttls_untrusted"]
    assert states(untrusted)[("domain.ldap", "127.0.0.1")] == "crit"
    assert summary(untrusted, "domain.ldap") == (
        "the certificate of 127.0.0.1:389 is not trusted (unable to get local issuer certificate); "
        "set checks.domain.ldap.ca_file to the domain's root CA")
    # The DC's time was read before StartTLS, so the skew is still known.
    assert states(untrusted)[("domain.clock_skew", "127.0.0.1")] == "ok"


@pytest.fixture(scope="module")
def membership(domain_controller):
    """The Linux membership source for real: in the DC's namespaces wbinfo reaches the DC's
    winbindd (realm and sssctl are not installed: those parts are not applicable)."""
    joined = domain_controller.run_check({"membership": {"membership": True}}, dc_mounts=True)[0]["membership"]
    # No realm, sssctl or wbinfo on the PATH: nothing in use, which is not a failure.
    bare = domain_controller.run_check({"membership": {"membership": True}}, env={"PATH": "/nonexistent"},
                                       dc_mounts=True)[0]["membership"]
    return joined, bare


def test_linux_membership_with_a_real_winbind(membership) -> None:
    joined, bare = membership
    assert joined == [{"check": "domain.winbind", "item": "EX", "state": "ok",
                       "summary": "winbind trust secret for EX: ok", "metrics": {}}]
    assert bare == [{"check": "domain.membership", "item": "", "state": "ok", "metrics": {},
                     "summary": "no realmd, sssd or winbind in use on this computer: membership not applicable"}]
