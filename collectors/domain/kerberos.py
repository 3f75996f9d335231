"""The Kerberos step: ``kinit`` for the service account with a private krb5.conf and
credential cache (fetch), and kinit's messages classified into outcomes (parse, pure)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from collectors.base import CollectorIO
from collectors.domain.model import KinitRaw, Outcome
from collectors.domain.wire import Scrubber, host_port
from config.checks.domain import DomainParams

KRB5_CONF = """\
# Written by Patrol for one kinit run; removed right after.
[libdefaults]
  default_realm = {realm}
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  # TCP only: a refused port fails at once instead of UDP retries.
  udp_preference_limit = 1
  # A Windows logon fails beyond the KDC's skew limit; MIT's default would quietly
  # adjust to the KDC's clock and hide the problem.
  kdc_timesync = 0
[realms]
  {realm} = {{
    kdc = {kdc}
  }}
"""


def fetch_kerberos(params: DomainParams, password: str, io: CollectorIO) -> KinitRaw:
    assert params.account and params.realm and params.dc
    scrub = Scrubber(password)
    timeout = params.connect_timeout_s * 2
    with tempfile.TemporaryDirectory(prefix="patrol-krb5-") as tmp:
        conf = Path(tmp, "krb5.conf")
        conf.write_text(KRB5_CONF.format(realm=params.realm, kdc=host_port(params.dc, params.kdc_port)))
        # A private cache: the ticket never mixes with a logged-on user's tickets and is
        # deleted with the folder.
        env = {"KRB5_CONFIG": str(conf), "KRB5CCNAME": f"FILE:{tmp}/ccache", "LC_ALL": "C"}
        try:
            out = io.run([params.kinit, f"{params.account.username}@{params.realm}"], timeout=timeout,
                         input=(password + "\n").encode(), env=env)
        except FileNotFoundError:
            return KinitRaw(None, "", "not_installed")
        except TimeoutError:
            return KinitRaw(None, "", "timeout", timeout)
    text = out.stdout.decode("utf-8", "replace") + "\n" + out.stderr.decode("utf-8", "replace")
    return KinitRaw(out.returncode, scrub(text.strip()))


# MIT kinit's messages (krb5 error table), as printed to stderr, e.g.
#   "kinit: Password incorrect while getting initial credentials"
#   "kinit: Client's credentials have been revoked while getting initial credentials"
#   "kinit: Client 'x@EX.TEST' not found in Kerberos database while getting initial credentials"
#   "kinit: Cannot contact any KDC for realm 'EX.TEST' while getting initial credentials"
#   "kinit: Clock skew too great while getting initial credentials"
# (recorded against the Samba AD DC of tests/domain). Heimdal says "Preauthentication failed".
KINIT_MESSAGES: tuple[tuple[str, str, str], ...] = (
    ("Password incorrect", "wrong_password", "wrong password for {user}"),
    ("Preauthentication failed", "wrong_password", "wrong password for {user}"),
    ("credentials have been revoked", "disabled",
     "the KDC refused {user}: credentials have been revoked (account disabled or locked out)"),
    ("not found in Kerberos database", "unknown_user", "account {user} does not exist in realm {realm}"),
    ("Password has expired", "password_expired", "the password of {user} has expired"),
    ("Password expired", "password_expired", "the password of {user} has expired"),
    ("Clock skew too great", "skew", "clock skew too great: this computer's clock differs from the DC's by more than "
                                     "the KDC allows (5 minutes by default)"),
    ("Cannot contact any KDC", "unreachable", "KDC unreachable: no answer from {dc} for realm {realm}"),
    ("Cannot resolve network address", "unreachable", "KDC unreachable: cannot resolve {dc}"),
    ("Cannot find KDC", "unreachable", "KDC unreachable: no KDC known for realm {realm}"),
)


def parse_kinit(raw: KinitRaw, user: str, realm: str, dc: str) -> Outcome:
    fmt = {"user": f"{user}@{realm}", "realm": realm, "dc": dc}
    if raw.error == "not_installed":
        return Outcome("not_installed", "kinit is not installed (Debian: krb5-user; set checks.domain.kinit, "
                                        "or kerberos: auto to test Kerberos only where kinit exists)")
    if raw.error == "timeout":
        return Outcome("timeout", f"KDC unreachable: kinit got no answer from {dc} within {raw.timeout_s:g} s")
    if raw.returncode == 0:
        return Outcome("ok", f"Kerberos ticket (TGT) for {fmt['user']} from {dc}")
    for needle, kind, message in KINIT_MESSAGES:
        if needle.lower() in raw.output.lower():
            return Outcome(kind, message.format(**fmt))
    last = raw.output.strip().splitlines()[-1] if raw.output.strip() else f"exit status {raw.returncode}"
    return Outcome("failed", f"kinit failed: {last.removeprefix('kinit: ')[:200]}")
