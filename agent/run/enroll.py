"""`patrol enroll https://HOST:9470 --token T [--ca-fingerprint SHA256]`.

1. Fetch the collector's CA (``GET /api/v1/ca.pem``) without verification, and pin it:
   its SHA-256 fingerprint (of the DER certificate) must equal ``--ca-fingerprint``, which
   `patrol serve` printed at its first start; without the option the fingerprint is shown
   and trusted on first use.
2. ``POST /api/v1/enroll`` over TLS verified with that CA: the one-time token, agent.name,
   this computer's identity (agent/fleet/identity.py), OS and version.
3. Keep the CA and the enrolment (with the credential) in ``<state_dir>/fleet/``, readable
   by this account only. The credential is never printed.

Exit codes: 0 enrolled; 1 refused or unreachable; 2 bad usage.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import warnings
from dataclasses import dataclass
from typing import Any

from agent.run.enrolment import Enrolment, os_description, private_dir, save_enrolment, write_private
from agent.run.http import CollectorUnreachable, detail, printable, request, session
from config.fleet_state import FleetPaths

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
_HEX = re.compile(r"^[0-9a-f]{64}$")


class EnrollFailed(Exception):
    """One line for the engineer; the command exits 1."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser("enroll", help="enrol this computer with a site collector (`patrol serve`)",
                       description="Pin the collector's CA, obtain this agent's credential and keep both in "
                                   "<state_dir>/fleet/. Then (re)start `patrol run`: it pushes its results there.")
    p.add_argument("url", help="the collector, e.g. https://collector.example:9470")
    p.add_argument("--token", required=True, help="one-time enrolment token (`patrol agents token create` on the collector)")
    p.add_argument("--ca-fingerprint", default=None, metavar="SHA256",
                   help="the SHA-256 fingerprint `patrol serve` printed (hex, colons optional); without it the CA "
                        "is trusted on first use")


def normalize_fingerprint(value: str) -> str:
    """``AB:CD:...`` or ``abcd...`` -> 64 lowercase hex digits; ValueError otherwise."""
    text = re.sub(r"[\s:]", "", value).lower()
    if text.startswith("sha256="):  # as `openssl x509 -fingerprint -sha256` prints it
        text = text.removeprefix("sha256=")
    if not _HEX.match(text):
        raise ValueError(f"not a SHA-256 fingerprint (64 hex digits, colons optional): {value!r}")
    return text


def colon_hex(fingerprint: str) -> str:
    return ":".join(fingerprint[i:i + 2] for i in range(0, len(fingerprint), 2)).upper()


@dataclass(frozen=True)
class PinnedCa:
    pem: bytes
    fingerprint: str  # 64 lowercase hex digits


def parse_ca(pem: bytes) -> PinnedCa:
    """The served ``ca.pem`` -> its first certificate and fingerprint; EnrollFailed when it is not one."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise EnrollFailed(f"the collector's {_ca_path()} is not a PEM certificate ({exc})") from None
    der = cert.public_bytes(Encoding.DER)
    return PinnedCa(cert.public_bytes(Encoding.PEM), hashlib.sha256(der).hexdigest())


def check_pin(ca: PinnedCa, expected: str | None) -> bool:
    """True when ``expected`` was given and matches; False when none was given (trust on first use)."""
    if expected is None:
        return False
    if ca.fingerprint != expected:
        raise EnrollFailed(f"the collector's CA fingerprint is {colon_hex(ca.fingerprint)}, not the "
                           f"{colon_hex(expected)} given: refusing to enrol (someone between this computer and "
                           "the collector, or the wrong collector)")
    return True


def _ca_path() -> str:
    from agent.fleet.protocol import CA_PATH

    return CA_PATH


def fetch_ca(url: str, timeout_s: float) -> PinnedCa:
    import urllib3

    s = session(None)
    s.verify = False  # not trusted yet: the pin below decides
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        response = request(s, "GET", url + _ca_path(), timeout_s=timeout_s)
    if response.status_code != 200:
        raise EnrollFailed(f"{url}{_ca_path()} answered HTTP {response.status_code}: {detail(response)} "
                           "(is this a Patrol collector?)")
    return parse_ca(response.content)


def enroll(url: str, token: str, fingerprint: str | None, paths: FleetPaths, *, name: str, identity: Any,
           version: str, timeout_s: float, say: Any = print) -> Enrolment:
    """Pin, enrol and save; returns the enrolment. ``say`` prints progress lines."""
    from agent.fleet.protocol import ENROLL_PATH, EnrollRequest, EnrollResponse

    ca = fetch_ca(url, timeout_s)
    if check_pin(ca, fingerprint):
        say(f"collector CA fingerprint {colon_hex(ca.fingerprint)}: matches")
    else:
        say(f"collector CA fingerprint {colon_hex(ca.fingerprint)}: trusted on first use (no --ca-fingerprint "
            "given; compare it with the one `patrol serve` printed)")
    private_dir(paths.root)
    # Verified against the CA candidate before it replaces a previously pinned one.
    candidate = paths.root / "ca.pem.new"
    write_private(candidate, ca.pem)
    body = EnrollRequest(token=token, name=name, identity=identity, os=os_description(), version=version)
    try:
        response = request(session(candidate), "POST", url + ENROLL_PATH, timeout_s=timeout_s,
                           json_body=body.model_dump(mode="json"))
        if response.status_code == 403:
            raise EnrollFailed(f"the collector refused the enrolment token: {detail(response)}")
        if response.status_code not in (200, 201):
            raise EnrollFailed(f"the collector answered HTTP {response.status_code} to the enrolment: {detail(response)}")
        try:
            answer = EnrollResponse.model_validate(response.json())
        except ValueError as exc:
            raise EnrollFailed(f"the collector's enrolment answer is not what this version expects: "
                               f"{printable(str(exc))[:200]}") from None
        candidate.replace(paths.ca)
    finally:
        candidate.unlink(missing_ok=True)
    enrolment = Enrolment(url, answer.agent_id, answer.site, answer.target, answer.credential)
    save_enrolment(paths, enrolment)
    if answer.reenrolled:
        say("this computer was known to the collector: same target, its history kept")
    return enrolment


def main(args: argparse.Namespace, ctx: Any) -> int:
    from agent.cli import version
    from agent.fleet.identity import IdentityError, machine_identity
    from config.fleet import CollectorLink

    try:
        url = CollectorLink(url=args.url).url
        assert url is not None
        fingerprint = normalize_fingerprint(args.ca_fingerprint) if args.ca_fingerprint else None
    except ValueError as exc:
        print(f"patrol enroll: {_first_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    if not url.startswith("https://"):
        print("patrol enroll: the enrolment sends a token and receives a credential: use the collector's https:// URL",
              file=sys.stderr)
        return EXIT_USAGE
    settings = ctx.settings
    try:
        # agent.machine_id, set by hand (clones that share an id, containers), is used without
        # reading the computer's own ids: a container may have none.
        identity = machine_identity(ctx.collector_io(), override=settings.agent.machine_id)
        enrolment = enroll(url, args.token, fingerprint, FleetPaths.under(settings.state_dir), name=settings.agent.name,
                           identity=identity, version=version(), timeout_s=settings.collector.timeout_s)
    except (EnrollFailed, CollectorUnreachable, IdentityError) as exc:
        print(f"patrol enroll: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except ValueError as exc:  # the request did not validate (e.g. a token shorter than 8 characters)
        print(f"patrol enroll: {_first_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    print(f"enrolled with {enrolment.url} as target {printable(enrolment.target)} of site {printable(enrolment.site)} "
          f"(agent {enrolment.agent_id[:12]}); settings in {FleetPaths.under(settings.state_dir).root}")
    print("(re)start `patrol run`: it now pushes its results to the collector and no longer decides tickets itself")
    return EXIT_OK


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg', '')}" if where else str(first.get("msg", ""))
    return str(exc)

