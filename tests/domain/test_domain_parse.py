"""Pure parts of the domain check: recorded/constructed outputs in, statuses and results out."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from collectors.base import CollectorIO, CommandOutput, ParseError, State
from collectors.domain import DomainCollector, DomainRaw, evaluate, parse
from collectors.domain.account import filetime
from collectors.domain.ldap import parse_generalized_time
from collectors.domain.model import KinitRaw, LdapRaw, ShareRaw
from config.checks.domain import DomainParams, split_unc
from inventory.models import Host, Inventory

FIXTURES = Path(__file__).with_name("fixtures")
NOW = datetime(2026, 11, 22, 4, 0, tzinfo=timezone.utc)
LOCAL = Host(name="pc-01", local=True)
PARAMS = DomainParams.model_validate({"realm": "ex.test", "dc": "dc1.ex.test", "ldap": {"security": "ldaps"},
                                      "account": {"username": "svc", "password": "env:X"}, "shares": [r"\\fs1\data"]})


def case_dirs(platform: str) -> list:
    return [pytest.param(d, id=d.name) for d in sorted((FIXTURES / platform).iterdir()) if d.is_dir()]


class FakeRunner:
    """Answers each program from the case folder; a program without an answer is not installed."""

    def __init__(self, answers: dict[str, tuple[int, str | bytes]]):
        self.answers = answers
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, argv, *, timeout, input=None, env=None) -> CommandOutput:
        self.calls.append(tuple(argv))
        if argv[0] == "sssctl" or (argv[0] == "nltest" and argv[1].startswith("/server:")):
            key = " ".join(argv[:3] if argv[0] == "sssctl" else argv[:2])
        else:
            key = argv[0]
        if key not in self.answers:
            raise FileNotFoundError(argv[0])
        rc, text = self.answers[key]
        return CommandOutput(tuple(argv), rc, text if isinstance(text, bytes) else text.encode(), b"")


def statuses_of(platform: str, answers: dict[str, tuple[int, str | bytes]], codepage: int | None = None) -> list[dict]:
    params = DomainParams(membership=True)
    io = CollectorIO(run=FakeRunner(answers), platform=platform, extra={"console_codepage": codepage} if codepage else {})
    raw = DomainCollector().fetch(LOCAL, params, io)
    return [asdict(s) for s in parse(raw).membership]


def windows_answers(case: Path) -> dict[str, tuple[int, str | bytes]]:
    """The case's recorded outputs, as the programs print them: nltest in the console's OEM
    code page named by ``encoding.txt`` (cp936 on zh-CN), PowerShell's JSON as UTF-8."""
    encoding = (case / "encoding.txt").read_text().strip() if (case / "encoding.txt").exists() else "utf-8"
    answers: dict[str, tuple[int, str | bytes]] = {"powershell.exe": (0, (case / "computer.json").read_text())}
    if (case / "nltest.txt").exists():
        answers["nltest"] = (0, (case / "nltest.txt").read_text(encoding="utf-8").encode(encoding))
    for path in sorted(case.glob("nltest-server-*.txt")):  # one DC's own channel: nltest /server:<dc>
        dc = path.stem.removeprefix("nltest-server-")
        answers[f"nltest /server:{dc}"] = (0, path.read_text(encoding="utf-8").encode(encoding))
    return answers


@pytest.mark.parametrize("case", case_dirs("windows"))
def test_windows_membership(case: Path) -> None:
    answers = windows_answers(case)
    expected = json.loads((case / "expected.json").read_text())
    # nltest decoded by the console code page the fixture was written in, as on that Windows,
    # and with none known (UTF-8 with replacement): the verdict must not depend on it.
    encoding = (case / "encoding.txt").read_text().strip() if (case / "encoding.txt").exists() else "cp437"
    for codepage in (int(encoding.removeprefix("cp")), None):
        if isinstance(expected, dict):  # a broken answer: one UNKNOWN status naming the problem
            [status] = statuses_of("windows", answers, codepage)
            assert (status["aspect"], status["healthy"]) == ("membership", None)
            assert status["summary"].startswith(expected["error"])
        else:
            assert statuses_of("windows", answers, codepage) == [{"degraded": False, **e} for e in expected]


@pytest.mark.parametrize("case", case_dirs("linux"))
def test_linux_membership(case: Path) -> None:
    tools = json.loads((case / "tools.json").read_text())
    answers: dict[str, tuple[int, str]] = {}
    if tools["realm"]:
        answers["realm"] = (tools["realm"][0], (case / tools["realm"][1]).read_text())
    for domain, (rc, name) in tools["sssctl"].items():
        answers[f"sssctl domain-status {domain}"] = (rc, (case / name).read_text())
    if tools["wbinfo"]:
        answers["wbinfo"] = (tools["wbinfo"][0], (case / tools["wbinfo"][1]).read_text())
    assert statuses_of("linux", answers) == [{"degraded": False, **e} for e in json.loads((case / "expected.json").read_text())]


def test_membership_statuses_become_results() -> None:
    answers = {"powershell.exe": (0, (FIXTURES / "windows/member-broken/computer.json").read_text()),
               "nltest": (0, (FIXTURES / "windows/member-broken/nltest.txt").read_text())}
    params = DomainParams(membership=True)
    raw = DomainCollector().fetch(LOCAL, params, CollectorIO(run=FakeRunner(answers), platform="windows"))
    [result] = evaluate(parse(raw), params, LOCAL, NOW)
    assert (result.check, result.item, result.state) == ("domain.secure_channel", "contoso.com", State.CRIT)


# ---------------------------------------------------------------- kinit, LDAP, SMB outcomes

KINIT = [
    # stderr recorded from MIT kinit 1.20 against the Samba AD DC of conftest.py
    ("kinit: Password incorrect while getting initial credentials", State.CRIT, "wrong password for svc@EX.TEST"),
    ("kinit: Client's credentials have been revoked while getting initial credentials", State.CRIT,
     "the KDC refused svc@EX.TEST: credentials have been revoked (account disabled or locked out)"),
    ("kinit: Client 'svc@EX.TEST' not found in Kerberos database while getting initial credentials", State.CRIT,
     "account svc@EX.TEST does not exist in realm EX.TEST"),
    ("kinit: Cannot contact any KDC for realm 'EX.TEST' while getting initial credentials", State.CRIT,
     "KDC unreachable: no answer from dc1.ex.test for realm EX.TEST"),
    ("kinit: Clock skew too great while getting initial credentials", State.CRIT, "clock skew too great"),
    ("kinit: Password has expired while getting initial credentials", State.CRIT, "the password of svc@EX.TEST has expired"),
    ("kinit: Something new while getting initial credentials", State.UNKNOWN,
     "kinit failed: Something new while getting initial credentials"),
]


@pytest.mark.parametrize(("stderr", "state", "text"), KINIT, ids=[k[2][:30] for k in KINIT])
def test_kinit_messages(stderr: str, state: State, text: str) -> None:
    raw = DomainRaw("EX.TEST", "dc1.ex.test", "svc", kerberos=KinitRaw(1, "Password for svc@EX.TEST:\n" + stderr))
    result = next(r for r in evaluate(parse(raw), PARAMS, LOCAL, NOW) if r.check == "domain.kerberos")
    assert (result.item, result.state) == ("EX.TEST", state)
    assert result.summary.startswith(text)


def test_kinit_missing_and_hung() -> None:
    missing = parse(DomainRaw("EX.TEST", "dc1", "svc", kerberos=KinitRaw(None, "", "not_installed"))).kerberos
    hung = parse(DomainRaw("EX.TEST", "dc1", "svc", kerberos=KinitRaw(None, "", "timeout", 20))).kerberos
    assert (missing.kind, hung.kind) == ("not_installed", "timeout")
    assert hung.message == "KDC unreachable: kinit got no answer from dc1 within 20 s"


def bind_failure(data: str) -> LdapRaw:
    # The diagnostic message as Samba sends it (recorded), with the reason code varied.
    return LdapRaw("dc1:636", "bind", None, 49, f"80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data {data}, v1db1")


LDAP = [
    pytest.param(bind_failure("52e"), State.CRIT, "wrong password for svc@EX.TEST", id="52e-wrong-password"),
    pytest.param(bind_failure("533"), State.CRIT, "account svc@EX.TEST is disabled (credentials have been revoked)", id="533-disabled"),
    pytest.param(bind_failure("775"), State.CRIT, "account svc@EX.TEST is locked out", id="775-locked"),
    pytest.param(bind_failure("532"), State.CRIT, "the password of svc@EX.TEST has expired", id="532-expired"),
    pytest.param(LdapRaw("dc1:389", "bind", None, 8, "00002028: LdapErr: DSID-0C090259, comment: The server requires binds to turn on integrity checking"),
                 State.CRIT, "dc1:389 refuses simple binds without TLS", id="strong-auth-required"),
    pytest.param(LdapRaw("dc1:636", "connect", "LDAPSocketOpenError", None, "socket connection error while opening: [Errno 111] Connection refused"),
                 State.CRIT, "LDAP server dc1:636 unreachable: socket connection error", id="refused"),
    pytest.param(LdapRaw("dc1:636", "rootdse", "LDAPSocketReceiveError", None, "error receiving data: timed out"),
                 State.UNKNOWN, "LDAP server dc1:636 did not answer", id="silent"),
    pytest.param(LdapRaw("dc1:636", "connect", "LDAPSocketOpenError", None,
                         "socket ssl wrapping error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                         "self-signed certificate (_ssl.c:1006)"),
                 State.CRIT, "the certificate of dc1:636 is not trusted (self-signed certificate); set "
                             "checks.domain.ldap.ca_file", id="untrusted-cert-ldaps"),
    pytest.param(LdapRaw("dc1:389", "tls", "LDAPStartTLSError", None,
                         "('wrap socket error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get "
                         "local issuer certificate (_ssl.c:1006)',)"),  # recorded against the test DC
                 State.CRIT, "the certificate of dc1:389 is not trusted (unable to get local issuer certificate)",
                 id="untrusted-cert-starttls"),
    pytest.param(LdapRaw("dc1:636", "search", None, 0, ""), State.CRIT, "bound as svc@EX.TEST, but the search found no such account",
                 id="account-not-found"),
]


@pytest.mark.parametrize(("raw", "state", "text"), LDAP)
def test_ldap_outcomes(raw: LdapRaw, state: State, text: str) -> None:
    results = {r.check: r for r in evaluate(parse(DomainRaw("EX.TEST", "dc1", "svc", ldap=raw)), PARAMS, LOCAL, NOW)}
    assert results["domain.ldap"].state is state
    assert results["domain.ldap"].summary.startswith(text)


SHARES = [
    pytest.param(ShareRaw(r"\\fs1\data", "done", entries=12), State.OK, r"\\fs1\data opened and listed (12 entries)", id="ok"),
    pytest.param(ShareRaw(r"\\fs1\nosuch", "tree", "BadNetworkName", 0xC00000CC), State.CRIT,
                 "share nosuch does not exist on fs1 (STATUS_BAD_NETWORK_NAME)", id="missing"),
    pytest.param(ShareRaw(r"\\fs1\hr", "tree", "AccessDenied", 0xC0000022), State.CRIT,
                 r"access denied to \\fs1\hr for svc@EX.TEST (STATUS_ACCESS_DENIED)", id="denied"),
    pytest.param(ShareRaw(r"\\fs1\data", "login", "LogonFailure", 0xC000006D), State.CRIT,
                 "SMB logon refused for svc@EX.TEST: wrong password", id="logon-failure"),
    pytest.param(ShareRaw(r"\\fs1\data", "login", "SMBResponseException", 0xC0000072), State.CRIT,
                 "SMB logon refused: account svc@EX.TEST is disabled", id="disabled"),
    pytest.param(ShareRaw(r"\\fs1\data\sub", "open", "ObjectPathNotFound", 0xC000003A), State.CRIT,
                 r"folder \\fs1\data\sub does not exist", id="folder-missing"),
    pytest.param(ShareRaw(r"\\fs1\data", "connect", "ValueError", None, "Failed to connect to 'fs1:445': [Errno 111] Connection refused"),
                 State.CRIT, r"\\fs1\data: cannot connect to fs1", id="refused"),
    pytest.param(ShareRaw(r"\\fs1\data", "connect", "TimeoutError", None, "timed out"), State.UNKNOWN,
                 r"\\fs1\data: no answer from fs1 during connect", id="silent"),
]


@pytest.mark.parametrize(("raw", "state", "text"), SHARES)
def test_share_outcomes(raw: ShareRaw, state: State, text: str) -> None:
    [result] = evaluate(parse(DomainRaw("EX.TEST", "dc1", "svc", shares=(raw,))), PARAMS, LOCAL, NOW)
    assert (result.check, result.item, result.state) == ("domain.share", raw.unc, state)
    assert result.summary.startswith(text)


# ---------------------------------------------------------------- clock skew and the account

def ldap_ok(dc_time: datetime, account: dict | None = None) -> LdapRaw:
    """A successful exchange whose rootDSE said ``dc_time``, read by us at NOW."""
    return LdapRaw("dc1:636", "done", None, 0, "", dc_time.strftime("%Y%m%d%H%M%S") + ".0Z", NOW, NOW,
                   account if account is not None else {"userAccountControl": ("512",)})


SKEW = [
    pytest.param(0, State.OK, "this computer's clock agrees with the DC's", id="in-sync"),
    pytest.param(-59, State.OK, "the DC's clock is 58 s behind", id="59s-behind"),  # +0.5 s: whole-second DC time
    pytest.param(90, State.WARN, "the DC's clock is 90 s ahead", id="90s-ahead-warn"),
    pytest.param(299, State.WARN, "the DC's clock is 300 s ahead", id="299s-warn"),
    pytest.param(-301, State.CRIT, "the DC's clock is 300 s behind this computer's; Kerberos logons fail", id="301s-behind-crit"),
    pytest.param(3600, State.CRIT, "the DC's clock is 3600 s ahead", id="one-hour-crit"),
]


@pytest.mark.parametrize(("offset_s", "state", "text"), SKEW)
def test_clock_skew_against_a_given_dc_time(offset_s: int, state: State, text: str) -> None:
    raw = DomainRaw("EX.TEST", "dc1", "svc", ldap=ldap_ok(NOW + timedelta(seconds=offset_s)))
    skew = next(r for r in evaluate(parse(raw), PARAMS, LOCAL, NOW) if r.check == "domain.clock_skew")
    assert skew.state is state
    assert skew.summary.startswith(text)
    assert skew.metrics[0].name == "clock_skew_seconds"


def test_skew_from_kerberos_when_ldap_has_no_time() -> None:
    raw = DomainRaw("EX.TEST", "dc1", "svc", kerberos=KinitRaw(1, "kinit: Clock skew too great while getting initial credentials"),
                    ldap=LdapRaw("dc1:636", "connect", "LDAPSocketOpenError", None, "refused"))
    skew = next(r for r in evaluate(parse(raw), PARAMS, LOCAL, NOW) if r.check == "domain.clock_skew")
    assert (skew.state, skew.summary[:20]) == (State.CRIT, "clock skew too great")


def to_filetime(moment: datetime) -> str:
    return str(int((moment - datetime(1601, 1, 1, tzinfo=timezone.utc)).total_seconds() * 10_000_000))


ACCOUNTS = [
    pytest.param({"userAccountControl": ("512",), "msDS-UserPasswordExpiryTimeComputed": (to_filetime(NOW + timedelta(days=40)),)},
                 State.OK, "service account svc is enabled; its password expires in 40 days (2027-01-01)", id="expires-in-40-days"),
    pytest.param({"userAccountControl": ("512",), "msDS-UserPasswordExpiryTimeComputed": (to_filetime(NOW + timedelta(days=10)),)},
                 State.WARN, "service account svc is enabled; its password expires in 10 days", id="expires-in-10-days"),
    pytest.param({"userAccountControl": ("512",), "msDS-UserPasswordExpiryTimeComputed": (to_filetime(NOW + timedelta(days=2)),)},
                 State.CRIT, "service account svc is enabled; its password expires in 2 days", id="expires-in-2-days"),
    pytest.param({"userAccountControl": ("66048",), "msDS-UserPasswordExpiryTimeComputed": ("9223372036854775807",)},
                 State.OK, "service account svc is enabled; its password does not expire", id="never-expires"),
    pytest.param({"userAccountControl": ("8389120",)}, State.CRIT, "service account svc has an expired password", id="uac-password-expired"),
    pytest.param({"userAccountControl": ("512",), "lockoutTime": ("134397932640655070",)}, State.CRIT,
                 "service account svc is locked out", id="locked-out"),
]


@pytest.mark.parametrize(("attrs", "state", "text"), ACCOUNTS)
def test_account_state(attrs: dict, state: State, text: str) -> None:
    raw = DomainRaw("EX.TEST", "dc1", "svc", ldap=ldap_ok(NOW, attrs))
    account = next(r for r in evaluate(parse(raw), PARAMS, LOCAL, NOW) if r.check == "domain.account")
    assert (account.item, account.state) == ("svc", state)
    assert account.summary.startswith(text)


def test_bad_dc_time_and_filetime_are_parse_errors() -> None:
    with pytest.raises(ParseError, match="not LDAP GeneralizedTime"):
        parse_generalized_time("yesterday")
    with pytest.raises(ParseError, match="not numbers"):
        parse(DomainRaw("EX.TEST", "dc1", "svc", ldap=ldap_ok(NOW, {"userAccountControl": ("lots",)})))
    assert filetime("0") is None
    assert parse_generalized_time("20261122035449.0Z") == datetime(2026, 11, 22, 3, 54, 49, 500000, tzinfo=timezone.utc)


# ---------------------------------------------------------------- settings

def test_unconfigured_family_has_no_targets() -> None:
    inventory = Inventory(hosts=(LOCAL,))
    assert DomainCollector().targets(DomainParams(), inventory) == []
    assert DomainCollector().targets(DomainParams(membership=True), inventory) == [LOCAL]
    assert DomainCollector().targets(PARAMS, inventory) == [LOCAL]


@pytest.mark.parametrize(("raw", "message"), [
    pytest.param({"account": {"username": "svc", "password": "env:X"}}, "need 'realm' and 'dc'", id="account-needs-realm"),
    pytest.param({"shares": [r"\\fs1\data"]}, "needs 'account'", id="shares-need-account"),
    pytest.param({"realm": "EX", "dc": "dc1", "account": {"username": "EX\\svc", "password": "env:X"}}, "bare account name",
                 id="no-domain-prefix"),
    pytest.param({"realm": "EX", "dc": "dc1", "account": {"username": "svc", "password": "Secret123"}},
                 "plain-text secrets are refused", id="password-in-clear"),
    pytest.param({"realm": "EX", "dc": "dc1", "account": {"username": "svc", "password": "env:X"}, "shares": ["fs1/data"]},
                 "not a share path", id="bad-unc"),
])
def test_bad_settings_are_refused(raw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DomainParams.model_validate(raw)


@pytest.mark.parametrize(("path", "parts"), [
    (r"\\fs1\data", ("fs1", "data", "")),
    ("//fs1.corp.example/Public/Scans/2026", ("fs1.corp.example", "Public", r"Scans\2026")),
    ("\\\\10.0.0.5\\share$\\", ("10.0.0.5", "share$", "")),
])
def test_split_unc(path: str, parts: tuple) -> None:
    assert split_unc(path) == parts


def test_base_dn_and_realm_case() -> None:
    assert (PARAMS.realm, PARAMS.base_dn()) == ("EX.TEST", "DC=ex,DC=test")


def test_broken_membership_source_does_not_hide_the_login_results() -> None:
    """powershell.exe missing (FetchError) or printing garbage (ParseError): one UNKNOWN
    membership result, and the login results are still evaluated."""
    params = PARAMS.model_copy(update={"membership": True})
    cases = [({}, "domain membership: PowerShell not found (powershell.exe)"),
             ({"powershell.exe": (0, "Get-CimInstance : Access denied")},
              "Win32_ComputerSystem / Test-ComputerSecureChannel did not print JSON: Get-CimInstance : Access denied")]
    for answers, message in cases:
        collector = DomainCollector()
        raw = collector.fetch(LOCAL, params.model_copy(update={"account": None, "shares": ()}),
                              CollectorIO(run=FakeRunner(answers), platform="windows"))
        raw = DomainRaw(raw.realm, raw.dc, "svc", raw.membership_platform, raw.membership_raw, raw.membership_error,
                        kerberos=KinitRaw(0, ""))
        results = {r.check: r for r in evaluate(parse(raw), params, LOCAL, NOW)}
        assert (results["domain.membership"].state, results["domain.membership"].summary) == (State.UNKNOWN, message)
        assert results["domain.kerberos"].state is State.OK


# Each language's nltest output in its console's OEM code page: (file, code page, status, DC, call failed)
LANGUAGES = [
    ("en.txt", "cp437", 0, "dc10.domain.example", False),
    ("zh-CN.txt", "cp936", 0, "HOMSOM-DC02.hs.com", False),
    ("zh-CN-no-logon-servers.txt", "cp936", 1311, None, False),
    ("zh-CN-sc-verify.txt", "cp936", 0, "homsom-dc01.hs.com", False),
    ("zh-CN-sc-reset.txt", "cp936", 0, "homsom-dc01.hs.com", False),
    ("en-query-no-logon-servers.txt", "cp437", 1311, None, False),
    ("en-sc-query-no-logon-servers.txt", "cp437", 1311, None, False),
    ("en-query-no-trust-lsa-secret.txt", "cp437", 1786, None, False),
    ("en-call-netlogon-stopped.txt", "cp437", 1722, None, True),
    ("zh-TW.txt", "cp950", 0, "dc10.domain.example", False),
    ("ja.txt", "cp932", 0, "dc10.domain.example", False),
    ("de.txt", "cp850", 0, "dc10.domain.example", False),
    ("fr.txt", "cp850", 0, "dc10.domain.example", False),
    ("es.txt", "cp850", 0, "dc10.domain.example", False),
    ("it.txt", "cp850", 0, "dc10.domain.example", False),
    ("it-call-refused.txt", "cp850", 5, None, True),
    ("ru.txt", "cp866", 0, "dc10.domain.example", False),
]


@pytest.mark.parametrize(("name", "codepage", "code", "dc", "call_failed"), LANGUAGES, ids=[x[0] for x in LANGUAGES])
def test_nltest_in_every_language(name: str, codepage: str, code: int, dc: str | None, call_failed: bool) -> None:
    from collectors.platforms.windows.domain import parse_nltest

    from collectors.platforms.windows.console import decode_console

    text = (FIXTURES / "nltest-languages" / name).read_text(encoding="utf-8")
    channel = parse_nltest(decode_console(text.encode(codepage), int(codepage.removeprefix("cp"))))  # as fetch does
    assert (channel.status_code, channel.dc, channel.call_failed) == (code, dc, call_failed)
    assert channel.refused is (code == 5 and call_failed)


def test_nltest_without_a_status_is_a_parse_error() -> None:
    from collectors.platforms.windows.domain import parse_nltest

    with pytest.raises(ParseError, match="no connection status"):
        parse_nltest("标志: 30 HAS_IP\n此命令成功完成\n")


def test_every_dc_login_verdicts() -> None:
    """Kerberos against three DCs: all fine OK; some failing WARN naming them; all failing
    the worst of their own states (CRIT for an answer, UNKNOWN when none could tell)."""
    from collectors.domain.model import DcLoginRaw

    ok = KinitRaw(0, "")
    down = KinitRaw(1, "kinit: Cannot contact any KDC for realm 'EX.TEST' while getting initial credentials")
    hung = KinitRaw(None, "", "timeout", 20)

    def kerberos(first: KinitRaw, *others: KinitRaw) -> tuple[State, str]:
        raw = DomainRaw("EX.TEST", "dc1", "svc", kerberos=first,
                        other_dcs=tuple(DcLoginRaw(f"dc{i}", k, None) for i, k in enumerate(others, start=2)))
        [r] = [r for r in evaluate(parse(raw), PARAMS, LOCAL, NOW) if r.check == "domain.kerberos"]
        return r.state, r.summary

    assert kerberos(ok, ok, ok) == (State.OK, "Kerberos works on all 3 domain controllers (dc1, dc2, dc3); "
                                              "Kerberos ticket (TGT) for svc@EX.TEST from dc1")
    state, text = kerberos(ok, down, hung)
    assert state is State.WARN
    assert text.startswith("Kerberos fails on 2 of 3 domain controllers (redundancy lost): dc2: KDC unreachable")
    assert text.endswith("; works on dc1")
    assert kerberos(down, down, hung)[0] is State.CRIT
    assert kerberos(hung, hung)[0] is State.UNKNOWN


def test_discovered_dcs_are_tested_once(monkeypatch) -> None:
    """The directory lists dc1 (the configured DC, by its own name) and dc2: only dc2 is added."""
    from collectors.domain import collector as domain_collector

    tried: list[str] = []

    def login(params, password, io):
        tried.append(params.dc)
        server_host = "dc1.ex.test" if params.dc == "10.0.0.1" else params.dc
        return None, LdapRaw(params.dc, "done", None, 0, "", None, None, None, {}, ("dc1.ex.test", "dc2.ex.test"),
                             server_host)

    monkeypatch.setattr(domain_collector, "_login", login)
    params = DomainParams.model_validate({"realm": "ex.test", "dc": "10.0.0.1", "discover_dcs": True,
                                          "account": {"username": "svc", "password": "env:X"}})
    raw = DomainCollector().fetch(LOCAL, params, CollectorIO(run=FakeRunner({}), resolve_secret=lambda ref: "pw"))
    assert sorted(tried) == ["10.0.0.1", "dc2.ex.test"]
    assert [o.dc for o in raw.other_dcs] == ["dc2.ex.test"]


def test_recorded_call_failure_with_netlogon_stopped_is_a_broken_channel_not_a_refusal() -> None:
    """Microsoft's recorded `nltest /sc_query` on a member whose Netlogon service is stopped
    (fixtures/nltest-languages/SOURCE.md): the call fails with 1722, which is no access
    problem, so no "run as SYSTEM" hint: domain logons fail there, CRIT with the reason.
    computer.json is constructed (the member-broken one: Test-ComputerSecureChannel False)."""
    from collectors.platforms.windows.domain import WindowsDomainRaw, parse

    nltest = (FIXTURES / "nltest-languages" / "en-call-netlogon-stopped.txt").read_text(encoding="utf-8")
    computer = (FIXTURES / "windows" / "member-broken" / "computer.json").read_text(encoding="utf-8")
    [status] = parse(WindowsDomainRaw(computer, nltest, 1))
    assert status.healthy is False
    assert "Netlogon did not answer over RPC" in status.summary and "SYSTEM" not in status.summary
