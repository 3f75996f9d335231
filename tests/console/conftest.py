"""A real `patrol serve` with a console: two sites, three users, stored results and an
open ticket, and Debian's Chromium driven by Playwright.

Site "acme" holds a switch, a printer and PCs (agent/serve/console/demo.py), one of them
named with an HTML/script payload and reporting one in its summary, and two CRIT disks that
the ticket engine (builtin backend) has turned into open tickets. Site "globex" holds
one PC. Users: admin (every site), eng (engineer, every site), view (viewer of acme).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from collectors.base import State
from tests.support.fleet import REPO, collector_config, patrol_argv, start_collector
from tests.support.chromium import chromium
from tests.support.proc import free_port

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">{{7*7}}[bold]x[/bold]'
XSS_DEVICE = 'pc-"><svg onload=window.__xss=3>'
PASSWORDS = {"admin": "admin-password-1", "eng": "engineer-password-1", "view": "viewer-password-1"}


@dataclass(frozen=True)
class Console:
    url: str
    config: Path
    folder: Path
    proc: object


def add_user(config: Path, name: str, role: str, site: str | None = None) -> subprocess.CompletedProcess[str]:
    argv = patrol_argv(config, "console", "user", "add", name, "--role", role, "--password-stdin")
    if site:
        argv += ["--site", site]
    return subprocess.run(argv, input=PASSWORDS.get(name, "x") + "\n", capture_output=True, text=True, timeout=60,
                          cwd=REPO)


def seed_sites(config: Path) -> None:
    """Results for both sites and an open ticket on acme, written before the collector starts."""
    from agent.context import store_components
    from agent.serve.console.demo import DemoDevice, demo_devices, seed
    from agent.serve.console.schema import CONSOLE
    from agent.serve.schema import FLEET
    from agent.store import Store
    from agent.ticketing.service import TicketingService
    from collectors.base import utcnow
    from config.loader import load_settings
    from inventory.models import Inventory

    settings = load_settings(config)
    now = utcnow()
    acme = Store.open(settings.store_url, "acme", [*store_components(), FLEET, CONSOLE])
    devices = [*demo_devices(6, ports=8), DemoDevice("sw-core", "switch", 8, config_change=True),
               DemoDevice(XSS_DEVICE, "pc", problem=State.WARN, summary=XSS),
               DemoDevice("pc-disk", "pc", problem=State.CRIT, summary="C: 97% used " + XSS),
               DemoDevice("pc-psu", "pc", problem=State.CRIT, summary="C: 99% used")]  # acknowledged on the findings page
    service = TicketingService(settings, acme, Inventory(), lambda: now)
    for runs in seed(acme, devices, now, cycles=3):
        service.process(runs)
    from agent.topology.record import record_neighbors

    def neighbour(local: str, name: str, port: str) -> dict[str, str]:
        return {"local_port": local, "protocol": "lldp", "remote_name": name, "remote_port": port,
                "chassis_id": "00:11:22:33:44:55", "mgmt_address": ""}

    # sw-000's Gi1/0/3 is down in the demo data: that link is red, the other green.
    record_neighbors(acme.engine, "acme", "sw-000", [neighbour("Gi1/0/1", "sw-core", "Gi1/0/1"),
                                                     neighbour("Gi1/0/3", "sw-core", "Gi1/0/2")], now)
    record_neighbors(acme.engine, "acme", "sw-core", [neighbour("Gi1/0/1", "sw-000", "Gi1/0/1"),
                                                      neighbour("Gi1/0/8", "ap-lobby", "eth0")], now)
    seed(Store(acme.engine, "globex"), [DemoDevice("globex-pc-1", "pc", problem=State.WARN)], now)
    acme.close()


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Console:
    folder = tmp_path_factory.mktemp("console")
    port = free_port()
    config = collector_config(folder, port=port, site="acme", serve="sites: {globex: {}}",
                              extra="reports: {formats: [html, json], languages: [en]}\n")
    seed_sites(config)
    for name, role, site in (("admin", "admin", None), ("eng", "engineer", None), ("view", "viewer", "acme")):
        done = add_user(config, name, role, site)
        assert done.returncode == 0, done.stderr
    proc, _fingerprint = start_collector(config, port)
    yield Console(f"https://127.0.0.1:{port}", config, folder, proc)
    proc.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page_of(browser, console):
    """A fresh browser context (no cookies) per call; ``page_of("view")`` is signed in."""
    contexts = []

    def make(user: str | None = None, lang: str = "en"):
        ctx = browser.new_context(ignore_https_errors=True, locale=lang, viewport={"width": 1366, "height": 768})
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.errors = errors  # type: ignore[attr-defined]
        if user is not None:
            login(page, console.url, user, PASSWORDS[user])
            assert page.url.rstrip("/") == console.url, page.content()[:500]
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def login(page, url: str, user: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("#login")
    page.wait_for_load_state("load")

