"""Time-bounded fuzzing of what Patrol reads from outside: config and inventory YAML, CSV
inventories, SNMP replies, ticket backend replies, and the PowerShell literal quoting.

Each property says the only way a bad input may fail: a ConfigError naming the file (exit
2), a BerError (an UNKNOWN result), a backend error (a retry or a rejected ticket). Any
other exception is a bug. Examples are capped (``max_examples``) and each has a deadline,
so the whole file runs in well under a minute in CI; the random seed is printed on a
failure (hypothesis shows how to replay it).
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from config.loader import ConfigError, parse_yaml, validate
from config.schema import Settings
from inventory.loader import load_inventory, resolve

FUZZ = settings(max_examples=80, deadline=timedelta(seconds=2),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# --- YAML: config and inventory ------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=30), st.sampled_from(["2026-09-31", "env:X", "file:/x", "10.0.0.1", "[/x]"]))
keys = st.one_of(st.sampled_from(["hosts", "network_devices", "printers", "groups", "defaults", "site", "name",
                                  "address", "depends_on", "snmp", "community", "asset", "warranty_end", "agent",
                                  "checks", "system", "disk", "warn", "crit", "paths", "store", "url"]),
                 st.text(max_size=10))
documents = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=5)), max_leaves=30)


def _yaml_text(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True)


@FUZZ
@given(documents)
def test_structured_yaml_is_a_config_error_or_valid(data):
    text = _yaml_text(data)
    for check in (lambda doc: validate(Settings, doc), resolve):
        try:
            check(parse_yaml(text, "fuzz.yaml"))
        except ConfigError as exc:
            assert str(exc).startswith("fuzz.yaml")


yaml_fragments = st.lists(st.sampled_from([
    "hosts:", "  - name: a", "    groups: [", "]", "&a ", "*a", "!!timestamp ", "!!binary ", "!!python/object ",
    "<<: *a", "- ", ": ", "{", "}", "\t", "\"", "'", "%YAML 1.1", "---", "...", "2026-02-30", "0x1F", "~",
    "warranty_end: ", "depends_on: [[x]]", "\n", "  ", "é", "\x00", "\ufeff"]), max_size=40)


@FUZZ
@given(yaml_fragments)
def test_broken_yaml_text_is_a_config_error(parts):
    try:
        resolve(parse_yaml("".join(parts), "fuzz.yaml"))
    except ConfigError:
        pass


# --- CSV inventories -----------------------------------------------------------------------

cells = st.one_of(st.text(max_size=20), st.sampled_from(["host", "switch", "printer", "a;b", "10.0.0.1",
                                                         "name", "asset.location", "name.x", '"', "\r\n"]))


@FUZZ
@given(header=st.lists(cells, min_size=1, max_size=6), rows=st.lists(st.lists(cells, max_size=7), max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8", "utf-16", "gb18030", "latin-1"]))
def test_csv_inventory_is_a_config_error_or_valid(tmp_path_factory, header, rows, delimiter, encoding):
    path: Path = tmp_path_factory.mktemp("csv") / "inv.csv"
    text = "\n".join(delimiter.join(row) for row in [header, *rows]) + "\n"
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        return
    try:
        load_inventory(path)
    except ConfigError as exc:
        assert str(path) in str(exc)


@FUZZ
@given(st.binary(max_size=400))
def test_csv_of_random_bytes_is_a_config_error_or_valid(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("csv") / "inv.csv"
    path.write_bytes(b"kind,name,address\n" + raw)
    try:
        load_inventory(path)
    except ConfigError:
        pass


# --- the SNMP decoder ----------------------------------------------------------------------

from collectors.snmp import ber  # noqa: E402


def _tlv_tree(depth: int = 3):
    leaf = st.tuples(st.sampled_from([0x02, 0x04, 0x05, 0x06, 0x40, 0x41, 0x42, 0x43, 0x46, 0x80, 0x81, 0x82, 0xA2]),
                     st.binary(max_size=12)).map(lambda t: ber.tlv(t[0], t[1]))
    return st.recursive(leaf, lambda children: st.tuples(st.sampled_from([0x30, 0xA2]), st.lists(children, max_size=4))
                        .map(lambda t: ber.tlv(t[0], b"".join(t[1]))), max_leaves=12)


@settings(max_examples=400, deadline=timedelta(seconds=1))
@given(st.one_of(st.binary(max_size=300), _tlv_tree()))
def test_snmp_replies_decode_or_raise_ber_error(data):
    try:
        ber.decode_response(data)
    except ber.BerError:
        pass


@settings(max_examples=300, deadline=timedelta(seconds=1))
@given(st.binary(max_size=3000))
def test_oid_content_decodes_or_raises_ber_error(content):
    try:
        oid = ber.decode_oid(content)
    except ber.BerError:
        return
    assert all(part.isdigit() for part in oid.split("."))


# --- ticket backend replies (RT 5 REST2 and the webhook) ------------------------------------

from agent.ticketing.backends.base import BackendRejected, BackendUnavailable, NewTicket  # noqa: E402
from agent.ticketing.backends.rt import RtBackend  # noqa: E402
from agent.ticketing.backends.webhook import WebhookBackend  # noqa: E402


class _Canned(requests.adapters.BaseAdapter):
    """A transport that answers every request with one generated reply (no network)."""

    def __init__(self, status: int, body: bytes, content_type: str):
        super().__init__()
        self.status, self.body, self.content_type = status, body, content_type

    def send(self, request, **kwargs):
        reply = requests.Response()
        reply.status_code = self.status
        reply.raw = io.BytesIO(self.body)  # read as a stream, as the backends read bounded replies
        reply.headers["Content-Type"] = self.content_type
        reply.url = request.url
        reply.request = request
        reply.reason = "fuzz"
        return reply

    def close(self):
        pass


json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12)),
                           lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(
                               st.sampled_from(["id", "items", "Status", "Resolved", "Owner", "message", "x"]), c,
                               max_size=4)), max_leaves=15)
bodies = st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200))
TICKET = NewTicket("ab" * 20, "subject", "body", "P2", 2, "crit", "hq", "sw1", "switch.port", "Gi0/1")


def _session(status: int, body: bytes, content_type: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _Canned(status, body, content_type))
    return session


@FUZZ
@given(status=st.sampled_from([200, 201, 204, 301, 400, 401, 404, 409, 429, 500, 502]), body=bodies,
       content_type=st.sampled_from(["application/json", "text/html", ""]))
def test_rt_replies_are_handled_or_a_backend_error(status, body, content_type):
    rt = RtBackend("http://rt.invalid", "token", session=_session(status, body, content_type))
    for call in (lambda: rt.find(TICKET.fingerprint, resolved_since=None), lambda: rt.open(TICKET),
                 lambda: rt.taken_by("12"), lambda: rt.comment("12", TICKET.fingerprint, "text")):
        try:
            call()
        except (BackendRejected, BackendUnavailable) as exc:
            assert "token" not in str(exc).lower() or "rt.token" in str(exc)


@FUZZ
@given(status=st.integers(100, 599), body=bodies)
def test_webhook_replies_are_handled_or_a_backend_error(status, body):
    hook = WebhookBackend("http://hook.invalid/x", secret="s3cret", session=_session(status, body, "application/json"))
    try:
        hook.open(TICKET)
    except (BackendRejected, BackendUnavailable) as exc:
        assert "s3cret" not in str(exc)


# --- PowerShell literals -------------------------------------------------------------------

from collectors.platforms.windows.powershell import PS_SINGLE_QUOTES, ps_quote  # noqa: E402


def _read_ps_single_quoted(source: str) -> tuple[str, str]:
    """The value of the single-quoted literal at the start of ``source`` and what follows,
    per the PowerShell language specification (§2.3.5.2): any single-quote character ends
    the literal unless the next character is a single-quote character too."""
    assert source[0] in PS_SINGLE_QUOTES
    out, i = [], 1
    while i < len(source):
        c = source[i]
        if c in PS_SINGLE_QUOTES:
            if i + 1 < len(source) and source[i + 1] in PS_SINGLE_QUOTES:
                out.append(c)
                i += 2
                continue
            return "".join(out), source[i + 1:]
        out.append(c)
        i += 1
    raise AssertionError("unterminated literal")


@settings(max_examples=500, deadline=timedelta(seconds=1))
@given(st.text(alphabet=st.one_of(st.sampled_from(list(PS_SINGLE_QUOTES) + ["$", "`", "\"", "(", ")", ";", "\n"]),
                                  st.characters()), max_size=40))
def test_ps_quote_keeps_any_value_inside_one_literal(value):
    literal, rest = _read_ps_single_quoted(ps_quote(value) + "; Remove-Item x")
    assert literal == value and rest == "; Remove-Item x"


@pytest.mark.parametrize("value", ["O’Brien’s PC", "‘quoted’", "‚low‛", "it's", "$(Remove-Item C:\\)"])
def test_ps_quote_examples(value):
    assert _read_ps_single_quoted(ps_quote(value))[0] == value
