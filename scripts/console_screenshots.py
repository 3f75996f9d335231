"""Refresh the console's screenshots in docs/console/ from a demo site.

Starts a real `patrol serve` on a free 127.0.0.1 port with a demo site (made-up results
from agent/serve/console/demo.py: switches with ports and LLDP links, printers, PCs, an
open ticket, a silence and a planned maintenance window), signs in with Debian's Chromium
and writes one PNG per page (1366x768, plus the site page on a 390x844 phone screen).

Run: .venv/bin/python scripts/console_screenshots.py [--out docs/console] [--lang en]
Needs /usr/bin/chromium; about a minute.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SITE = "demo-site"
PAGES = (("overview", "/"), ("site", f"/site/{SITE}"), ("device", f"/site/{SITE}/device/sw-core"),
         ("tickets", f"/site/{SITE}/tickets"), ("findings", f"/site/{SITE}/findings"), ("map", f"/site/{SITE}/map"),
         ("silences", f"/site/{SITE}/silences"))
DESKTOP, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}
PASSWORD = "demo-password-1"


def seed(config: Path) -> None:
    """The demo site's results (three cycles, so the sparklines have a line), its links,
    a ticket the ticket engine opened, a silence and a maintenance window."""
    from agent.context import store_components
    from agent.serve.console import silences
    from agent.serve.console.demo import DemoDevice, demo_devices, seed as seed_results
    from agent.serve.console.schema import CONSOLE
    from agent.serve.schema import FLEET
    from agent.store import Store
    from agent.ticketing.service import TicketingService
    from agent.topology.record import record_neighbors
    from collectors.base import State, utcnow
    from config.loader import load_settings
    from inventory.models import Inventory

    settings = load_settings(config)
    now = utcnow().replace(second=0, microsecond=0)
    store = Store.open(settings.store_url, SITE, [*store_components(), FLEET, CONSOLE])
    devices = [DemoDevice("sw-core", "switch", 24, down_ports=(5,), config_change=True),
               *demo_devices(30, ports=24),
               DemoDevice("pc-finance-2", "pc", problem=State.CRIT, summary="C: 97% used (3.1 GB free of 120 GB)")]
    service = TicketingService(settings, store, Inventory(), lambda: now)
    for runs in seed_results(store, devices, now, cycles=12):
        service.process(runs)
    switches = [d.name for d in devices if d.kind == "switch"]
    others = [d.name for d in devices if d.kind != "switch"]
    for i, name in enumerate(switches):
        links = [{"local_port": "Gi1/0/24", "protocol": "lldp", "remote_name": "sw-core", "remote_port": f"Gi1/0/{i}",
                  "chassis_id": "", "mgmt_address": ""}] if i else []
        links += [{"local_port": f"Gi1/0/{j + 1}", "protocol": "lldp", "remote_name": other, "remote_port": "eth0",
                   "chassis_id": "", "mgmt_address": ""} for j, other in enumerate(others[i::len(switches)])]
        record_neighbors(store.engine, SITE, name, links, now)
    silences.add(store.engine, SITE, target="prn-*", check="printer_snmp.supply", item="*",
                 until=now + timedelta(hours=6), reason="toner on order (PO 4711)", by="console:li.na", now=now)
    start = (now + timedelta(days=2)).replace(hour=22, minute=0)
    silences.add(store.engine, SITE, target="sw-*", check="*", item="*", start=start, until=start + timedelta(hours=3),
                 reason="core switch firmware 17.9.4", by="console:li.na", now=now)
    store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "console")
    parser.add_argument("--lang", default="en", choices=("en", "zh-CN"))
    args = parser.parse_args(argv)

    from tests.support.chromium import chromium
    from tests.support.fleet import REPO as _repo, collector_config, patrol_argv, start_collector
    from tests.support.proc import free_port

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = collector_config(Path(tmp), port=port, site=SITE)
        seed(config)
        subprocess.run(patrol_argv(config, "console", "user", "add", "li.na", "--role", "engineer", "--password-stdin"),
                       input=PASSWORD + "\n", text=True, capture_output=True, check=True, timeout=60, cwd=_repo)
        proc, _ = start_collector(config, port)
        url = f"https://127.0.0.1:{port}"
        written = []
        try:
            with chromium() as browser:
                for size, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
                    ctx = browser.new_context(ignore_https_errors=True, viewport=size, locale=args.lang,
                                              is_mobile=size is PHONE)
                    page = ctx.new_page()
                    page.goto(f"{url}/login?lang={args.lang}")
                    page.fill("input[name=username]", "li.na")
                    page.fill("input[name=password]", PASSWORD)
                    with page.expect_navigation():
                        page.click("#login")
                    for name, path in PAGES if size is DESKTOP else PAGES[:3]:
                        page.goto(url + path, wait_until="load")
                        lang = "" if args.lang == "en" else "." + args.lang
                        target = args.out / f"{name}{suffix}{lang}.png"
                        page.screenshot(path=str(target), full_page=size is PHONE)
                        written.append(target)
                    ctx.close()
        finally:
            proc.stop()
    for path in written:
        print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}  {path.stat().st_size // 1024} KiB")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
