"""Against a real cupsd: pause, reject, fill queues with jobs that cannot print, and watch
the results change. Each test makes its own queues, so order does not matter."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from collectors.base import CollectorIO, FetchError, State
from collectors.commands import run_command
from collectors.printers import PrintersCollector
from config.checks.printers import PrintersParams
from inventory.models import Host
from tests.printers.cups_server import Cups
from tests.support.proc import free_port, wait_until
from tests.web.silent import silent_server

HOST = Host(name="pc-17", local=True)
IO = CollectorIO(run=run_command)
COLLECTOR = PrintersCollector()


def check(cups: Cups, *, later_min: float = 0, **params) -> dict[tuple[str, str], object]:
    p = PrintersParams(server=cups.server, **params)
    model = COLLECTOR.parse(COLLECTOR.fetch(HOST, p, IO))
    now = IO.clock() + timedelta(minutes=later_min)
    return {(r.check, r.item): r for r in COLLECTOR.evaluate(model, p, HOST, now)}


def new_queue(cups: Cups, device: str = "file:///dev/null") -> str:
    name = "q" + uuid.uuid4().hex[:8]
    cups.admin("lpadmin", "-p", name, "-E", "-v", device, "-m", "raw")
    return name


def test_idle_queue_is_ok_then_paused_is_crit_then_ok_again(cups: Cups) -> None:
    q = new_queue(cups)
    assert check(cups)[("printers.queue", q)].state is State.OK
    cups.admin("cupsdisable", "-r", "toner replaced, test page pending", q)
    paused = check(cups)[("printers.queue", q)]
    assert paused.state is State.CRIT
    assert "queue stopped (paused)" in paused.summary and "toner replaced" in paused.summary
    cups.admin("cupsenable", q)
    assert check(cups)[("printers.queue", q)].state is State.OK


def test_rejecting_queue_is_crit(cups: Cups) -> None:
    q = new_queue(cups)
    cups.admin("cupsreject", "-r", "moving to the new print server", q)
    got = check(cups)[("printers.queue", q)]
    assert got.state is State.CRIT and "not accepting jobs" in got.summary
    cups.admin("cupsaccept", q)
    assert check(cups)[("printers.queue", q)].state is State.OK


def test_jobs_on_a_paused_queue_become_stuck(cups: Cups) -> None:
    q = new_queue(cups)
    cups.admin("cupsdisable", q)
    cups.admin("lp", "-d", q, "/etc/hostname")
    cups.admin("lp", "-d", q, "/etc/hostname")
    assert check(cups)[("printers.jobs", q)].state is State.OK  # just queued
    later = check(cups, later_min=20)[("printers.jobs", q)]
    metrics = {m.name: m.value for m in later.metrics}
    assert later.state is State.WARN and metrics["stuck_jobs_count"] == 2
    assert check(cups, later_min=90)[("printers.jobs", q)].state is State.CRIT
    cups.admin("cancel", "-a", q)
    assert check(cups, later_min=90)[("printers.jobs", q)].state is State.OK


def test_unreachable_printer_keeps_its_job_and_says_why(cups: Cups) -> None:
    q = new_queue(cups, "socket://127.0.0.1:9")  # nothing listens on the discard port
    cups.admin("lp", "-d", q, "/etc/hostname")
    wait_until(lambda: "may not exist" in check(cups)[("printers.queue", q)].details, 20, "backend retry message")
    jobs = check(cups, later_min=30)[("printers.jobs", q)]
    assert jobs.state is State.WARN and "1 job(s) stuck" in jobs.summary
    cups.admin("cancel", "-a", q)


def test_cups_server_from_the_environment(cups: Cups) -> None:
    from collectors.platforms.linux import printers as source
    q = new_queue(cups)
    raw = source.fetch(None, 5, IO, environ={"CUPS_SERVER": cups.server})
    assert q in {queue.name for queue in source.parse(raw).queues}


def test_cups_not_running_is_crit_when_configured() -> None:
    port = free_port()  # nothing listens there
    p = PrintersParams(server=f"127.0.0.1:{port}")
    got = list(COLLECTOR.evaluate(COLLECTOR.parse(COLLECTOR.fetch(HOST, p, IO)), p, HOST, IO.clock()))
    assert [(r.check, r.state) for r in got] == [("printers.spooler", State.CRIT)]
    assert "refused" in got[0].summary


@pytest.fixture
def silent_port() -> Iterator[int]:
    with silent_server() as port:
        yield port


def test_silent_server_is_a_fetch_error_after_the_timeout_not_a_hang(silent_port: int) -> None:
    p = PrintersParams(server=f"127.0.0.1:{silent_port}", request_timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(FetchError, match="did not answer within 0.5 s"):
        COLLECTOR.fetch(HOST, p, IO)
    assert time.monotonic() - started < 5


def test_through_the_runner_a_silent_cups_is_one_unknown_result(silent_port: int) -> None:
    import asyncio

    from agent.runner import CheckJob, Runner

    runner = Runner(IO, concurrency=2)
    try:
        job = CheckJob(COLLECTOR, HOST, PrintersParams(server=f"127.0.0.1:{silent_port}", request_timeout_s=0.5))
        (run,) = asyncio.run(runner.run([job]))
    finally:
        runner.close()
    assert [(r.check, r.state) for r in run.results] == [("printers", State.UNKNOWN)]
    assert run.error == f"CUPS at 127.0.0.1:{silent_port} did not answer within 0.5 s"
