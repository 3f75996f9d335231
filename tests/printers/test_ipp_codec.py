"""The IPP codec and the CUPS parser, on recorded CUPS replies and on broken bytes."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from collectors.base import ParseError
from collectors.platforms.linux import printers as cups
from collectors.printing import ipp

CASES = sorted(p for p in (Path(__file__).parent / "fixtures" / "ipp").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_recorded_cups_replies_parse_to_expected_model(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text())
    raw = cups.CupsReplies(expected["source"].removeprefix("CUPS at "), (case / "printers.ipp").read_bytes(),
                           (case / "jobs.ipp").read_bytes())
    got = json.loads(json.dumps(asdict(cups.parse(raw)), default=str))
    assert got == expected


def _printer_reply(device_uri: str) -> bytes:
    """A CUPS-Get-Printers reply built with the encoder (CUPS itself hides credentials from
    non-admin clients, so no recording can carry them)."""
    body = bytearray(b"\x02\x00\x00\x00\x00\x00\x00\x01\x01\x04")
    body += ipp.encode_attribute(ipp.NAME, "printer-name", ["floor2"])
    body += ipp.encode_attribute(ipp.ENUM, "printer-state", [3])
    body += ipp.encode_attribute(ipp.BOOLEAN, "printer-is-accepting-jobs", [True])
    body += ipp.encode_attribute(ipp.KEYWORD, "printer-state-reasons", ["toner-low-report", "media-empty-error"])
    body += ipp.encode_attribute(ipp.URI, "device-uri", [device_uri])
    return bytes(body + b"\x03")


@pytest.mark.parametrize("uri, shown", [
    ("smb://EXAMPLE\\printuser:S3cret!@fs1/floor2", "smb://fs1/floor2"),
    ("ipp://admin:pw@10.0.0.5:631/ipp/print", "ipp://10.0.0.5:631/ipp/print"),
    ("socket://10.0.0.5:9100", "socket://10.0.0.5:9100"),
], ids=["smb-with-password", "ipp-with-password", "no-credentials"])
def test_device_uri_credentials_are_removed(uri: str, shown: str) -> None:
    jobs = (CASES[0] / "jobs.ipp").read_bytes()
    model = cups.parse(cups.CupsReplies("127.0.0.1:631", _printer_reply(uri), jobs))
    assert model.queues[0].device == shown
    assert model.queues[0].reasons == ("toner-low-report", "media-empty-error")


def test_request_round_trips_through_the_decoder() -> None:
    data = cups.jobs_request()
    reply = ipp.decode_response(data)  # a request has the same layout after its header
    ops = reply.of(ipp.OPERATION_GROUP)[0]
    assert reply.status == ipp.GET_JOBS and reply.request_id == 2
    assert ops["printer-uri"] == ("ipp://localhost/",)
    assert ops["requested-attributes"] == cups.JOB_ATTRIBUTES


GOOD = (CASES[0] / "printers.ipp").read_bytes() if CASES else b""


@pytest.mark.parametrize("data, message", [
    (b"", "too short"),
    (b"HTTP/1.1 200 OK\r\n\r\n", "not IPP"),
    (b"\x02\x00\x00\x00\x00\x00\x00\x01\x01", "ends without"),
    (b"\x02\x00\x00\x00\x00\x00\x00\x01\x01\x47\x00\x12attributes-charset\x00\x40utf-8", "runs past the end"),
    (b"\x02\x00\x00\x00\x00\x00\x00\x01\x21\x00\x01x\x00\x04\x00\x00\x00\x01\x03", "outside a group"),
    (b"\x02\x00\x00\x00\x00\x00\x00\x01\x01\x21\x00\x01x\x00\x02\x00\x01\x03", "integer value of 2 bytes"),
], ids=["empty", "http-text", "no-end-tag", "value-too-long", "attribute-before-group", "short-integer"])
def test_broken_replies_are_parse_errors(data: bytes, message: str) -> None:
    raw = cups.CupsReplies("127.0.0.1:631", data, GOOD)
    with pytest.raises(ParseError, match=message):
        cups.parse(raw)


def test_refused_operation_is_a_parse_error_naming_the_status() -> None:
    refused = b"\x02\x00\x04\x01\x00\x00\x00\x01\x01\x03"  # client-error-forbidden
    with pytest.raises(ParseError, match="0x0401"):
        cups.parse(cups.CupsReplies("127.0.0.1:631", refused, GOOD))


@pytest.mark.parametrize("text, expected", [
    ("/run/cups/cups.sock", ipp.IppServer(socket_path="/run/cups/cups.sock")),
    ("print.example.com", ipp.IppServer("print.example.com", 631)),
    ("print.example.com:8631", ipp.IppServer("print.example.com", 8631)),
    ("[::1]:631", ipp.IppServer("::1", 631)),
    ("::1", ipp.IppServer("::1", 631)),
], ids=["socket", "host", "host-port", "v6-port", "v6-bare"])
def test_server_syntax_of_cups_server(text: str, expected: ipp.IppServer) -> None:
    assert cups.parse_server(text) == expected
