"""Each printer recording, polled over real SNMP from snmpsim through the runner, gives these results."""

from __future__ import annotations

import asyncio
import time

import pytest

from agent.runner import CheckJob, Runner
from collectors.base import CheckRun, CollectorIO, State
from collectors.commands import run_command
from collectors.printer_snmp import PrinterSnmpCollector
from config.checks.printer_snmp import PrinterSnmpParams
from inventory.models import Printer, SnmpCredentials
from tests.support.proc import free_port

OK, WARN, CRIT, UNKNOWN = State.OK, State.WARN, State.CRIT, State.UNKNOWN

# community -> [(check, item, state, summary)]
EXPECTED = {
    "healthy-laser": [
        ("printer_snmp.status", "", OK, "idle, no error condition; 12345 pages printed"),
        ("printer_snmp.supply", "Black Cartridge HP CF259A", OK, "Black Cartridge HP CF259A: 80% remaining"),
        ("printer_snmp.input", "Tray 1", OK, "Tray 1 (Plain): manual feed, empty"),
        ("printer_snmp.input", "Tray 2", OK, "Tray 2 (Plain): paper loaded"),
    ],
    "toner-low": [
        ("printer_snmp.status", "", WARN, "idle: device warning, toner low; 48211 pages printed"),
        ("printer_snmp.supply", "Black Toner TN-423BK", WARN, "Black Toner TN-423BK: 8% remaining (low)"),
        ("printer_snmp.supply", "Cyan Toner TN-423C", OK, "Cyan Toner TN-423C: 45% remaining"),
        ("printer_snmp.supply", "Magenta Toner TN-423M", WARN, "Magenta Toner TN-423M: 12% remaining (low)"),
        ("printer_snmp.supply", "Yellow Toner TN-423Y", OK, "Yellow Toner TN-423Y: 60% remaining"),
        ("printer_snmp.supply", "Waste Toner Box WT-320CL", OK, "Waste Toner Box WT-320CL: 90% space left"),
        ("printer_snmp.input", "Tray1", OK, "Tray1 (A4): 72% (180 of 250 sheets)"),
    ],
    "paper-jam-door": [
        ("printer_snmp.status", "", CRIT,
         "other: device down, out of paper, door open, paper jam, input tray empty; 20007 pages printed"),
        ("printer_snmp.supply", "Black Cartridge HP CF259A", OK, "Black Cartridge HP CF259A: 55% remaining"),
        ("printer_snmp.input", "Tray 1", OK, "Tray 1 (Plain): manual feed, empty"),
        ("printer_snmp.input", "Tray 2", WARN, "Tray 2 (Plain): empty"),
    ],
    "offline": [
        ("printer_snmp.status", "", CRIT, "other: device down, offline; 999 pages printed"),
        ("printer_snmp.supply", "Black Cartridge HP CF259A", OK, "Black Cartridge HP CF259A: 70% remaining"),
        ("printer_snmp.input", "Tray 2", OK, "Tray 2 (Plain): 80% (200 of 250 sheets)"),
    ],
    "levels-unknown": [
        ("printer_snmp.status", "", OK, "printing, no error condition; 3071 pages printed"),
        ("printer_snmp.supply", "Toner Black", OK, "Toner Black: some remaining (the printer does not measure the level)"),
        ("printer_snmp.supply", "Photoconductor Unit", OK, "Photoconductor Unit: level not reported by the printer"),
        ("printer_snmp.supply", "Fusing Unit", OK, "Fusing Unit: level 40 (capacity not reported)"),
        ("printer_snmp.supply", "Waste Toner Bottle", OK, "Waste Toner Bottle: level not reported by the printer"),
        ("printer_snmp.input", "Tray 1", OK, "Tray 1 (A4): level not reported"),
    ],
    "broken-types": [
        ("printer_snmp", "", UNKNOWN, "hrPrinterStatus.1 is an OCTET STRING, expected an INTEGER"),
    ],
    "not-a-printer": [
        ("printer_snmp", "", UNKNOWN, "no printer data: the agent has neither hrPrinterTable nor prtMarkerSuppliesTable "
                                      "(not a printer, or its Printer-MIB is switched off)"),
    ],
}


def poll(port: int, community: str, params: PrinterSnmpParams | None = None, *, timeout_s: float = 2.0) -> CheckRun:
    environ = {"PRINTER_COMMUNITY": community}
    io = CollectorIO(run=run_command, resolve_secret=lambda ref: ref.resolve(environ))
    printer = Printer(name=f"prn-{community}", address="127.0.0.1",
                      snmp=SnmpCredentials(community="env:PRINTER_COMMUNITY", port=port, timeout_s=timeout_s, retries=0))
    runner = Runner(io)
    try:
        [run] = asyncio.run(runner.run([CheckJob(PrinterSnmpCollector(), printer, params or PrinterSnmpParams())]))
    finally:
        runner.close()
    return run


@pytest.mark.parametrize("community", list(EXPECTED))
def test_recording_gives_expected_results(snmpsim, community):
    run = poll(snmpsim.port, community)
    got = [(r.check, r.item, r.state, r.summary) for r in run.results]
    if community not in ("broken-types", "not-a-printer"):  # those stop at parse: one UNKNOWN
        reach = got.pop(0)
        assert reach[:3] == ("printer_snmp.reachability", "", OK) and reach[3].startswith("answers SNMP in "), reach
    assert got == EXPECTED[community]


def test_jam_details_list_conditions_and_active_alerts(snmpsim):
    [status] = [r for r in poll(snmpsim.port, "paper-jam-door").results if r.check == "printer_snmp.status"]
    assert status.details.splitlines() == [
        "condition: noPaper (out of paper)",
        "condition: doorOpen (door open)",
        "condition: jammed (paper jam)",
        "condition: inputTrayEmpty (input tray empty)",
        "active critical alert jam: Paper jam in tray 2 area",
        "active critical alert doorOpen: Front door open",
        "active critical alert inputMediaSupplyEmpty: Tray 2 empty",
        "warningBinaryChangeEvent alert powerUp: Power up",
    ]
    assert {m.name: m.value for m in status.metrics} == {"printer_condition_count": 4, "printed_pages": 20007}


def test_thresholds_come_from_settings(snmpsim):
    params = PrinterSnmpParams(supply_warn_percent=50, supply_crit_percent=10, some_remaining_state="warn",
                               condition_states={"lowToner": "ok"}, alert_states={"warning": "ok"})
    states = {(r.check, r.item): r.state for r in poll(snmpsim.port, "toner-low", params).results}
    assert states[("printer_snmp.supply", "Black Toner TN-423BK")] is CRIT
    assert states[("printer_snmp.supply", "Cyan Toner TN-423C")] is WARN
    assert states[("printer_snmp.supply", "Yellow Toner TN-423Y")] is OK
    assert states[("printer_snmp.status", "")] is WARN  # hrDeviceStatus warning remains
    states = {(r.check, r.item): r.state for r in poll(snmpsim.port, "levels-unknown", params).results}
    assert states[("printer_snmp.supply", "Toner Black")] is WARN


@pytest.mark.parametrize("case", ["wrong-community", "nobody-listening"])
def test_silent_printer_is_down_on_the_first_poll_without_the_community(snmpsim, case):
    port = snmpsim.port if case == "wrong-community" else free_port("udp")
    params = PrinterSnmpParams(recheck_after_s=0.2)
    started = time.monotonic()
    run = poll(port, "s3cret-Community", params, timeout_s=0.3)
    [result] = run.results
    assert (result.check, result.item, result.state) == ("printer_snmp.reachability", "", CRIT)
    assert result.summary.startswith(f"down: no SNMP answer from 127.0.0.1:{port} within 0.3 s"), result.summary
    assert result.summary.endswith("silent again 0.2 s later")
    assert time.monotonic() - started >= 0.3 + 0.2 + 0.3  # asked, waited, asked again
    assert "s3cret-Community" not in result.summary + result.details


def test_printer_answering_the_recheck_is_polled(snmpsim):
    """A printer that drops the first request but answers the re-check is reachable, not down."""
    from collectors.snmp import client

    dropped = []
    real = client.V2cTransport.request

    async def lossy(self, pdu, oids, non_repeaters=0, max_repetitions=0):
        if not dropped:  # the first datagram is lost: nothing is sent, as on a lossy link
            dropped.append(pdu)
            raise client.SnmpTimeout("no SNMP answer (dropped by the test)")
        return await real(self, pdu, oids, non_repeaters, max_repetitions)

    client.V2cTransport.request = lossy
    try:
        run = poll(snmpsim.port, "healthy-laser", PrinterSnmpParams(recheck_after_s=0.1))
    finally:
        client.V2cTransport.request = real
    assert dropped == [client.ber.GET]
    assert [(r.check, r.state) for r in run.results][:2] == [("printer_snmp.reachability", OK), ("printer_snmp.status", OK)]


def test_unreachable_state_is_a_setting(snmpsim):
    run = poll(free_port("udp"), "x", PrinterSnmpParams(unreachable="unknown", recheck_after_s=0), timeout_s=0.2)
    assert [(r.check, r.state) for r in run.results] == [("printer_snmp.reachability", UNKNOWN)]
