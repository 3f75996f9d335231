"""The web console on a big site: 500 devices (50 switches x 48 ports, printers, PCs).

Figures, each against the issue's target:
- the site page (`/site/S`, every device worst first) rendered by a real `patrol serve`,
  median wall time of an HTTP GET over HTTPS on this machine (target: under 300 ms);
- in the same run, in-process: the site's device rows counted in SQL (what the page does)
  against decoding every latest result first (what it did before), median of 15 each;
- the topology map (`/site/S/map`, all 500 devices linked) in Debian's Chromium: from
  navigation to the load event with every node drawn (target: under 2 s).

Run: .venv/bin/python bench/console.py   (needs /usr/bin/chromium; ~1 minute)
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEVICES, PORTS, RUNS = 500, 48, 15


def seed(config: Path) -> int:
    from agent.context import store_components
    from agent.serve.console.demo import demo_devices, seed as seed_results
    from agent.serve.console.schema import CONSOLE
    from agent.serve.schema import FLEET
    from agent.store import Store
    from agent.topology.record import record_neighbors
    from collectors.base import utcnow
    from config.loader import load_settings

    settings = load_settings(config)
    store = Store.open(settings.store_url, "big", [*store_components(), FLEET, CONSOLE])
    devices = demo_devices(DEVICES, ports=PORTS)
    now = utcnow()
    seed_results(store, devices, now, cycles=1)
    switches = [d.name for d in devices if d.kind == "switch"]
    others = [d.name for d in devices if d.kind != "switch"]
    # A core switch, the other switches below it, every other device on a switch port.
    for i, sw in enumerate(switches):
        neighbours = [{"local_port": f"Gi1/0/{PORTS}", "protocol": "lldp", "remote_name": switches[0],
                       "remote_port": f"Gi1/0/{i + 1}", "chassis_id": "", "mgmt_address": ""}] if i else []
        for j, name in enumerate(others[i::len(switches)]):
            neighbours.append({"local_port": f"Gi1/0/{j + 1}", "protocol": "lldp", "remote_name": name,
                               "remote_port": "eth0", "chassis_id": "", "mgmt_address": ""})
        record_neighbors(store.engine, "big", sw, neighbours, now)
    store.close()
    return len(devices)


def rows_compared(config: Path) -> tuple[float, float]:
    """(ms for the device rows from SQL counts, ms from every decoded latest result)."""
    from agent.serve.console import views
    from agent.store import Store
    from config.loader import load_settings

    store = Store.open(load_settings(config).store_url, "big")
    try:
        def median_ms(make) -> float:
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                make()
                times.append(time.perf_counter() - start)
            return statistics.median(times) * 1000

        by_sql = median_ms(lambda: views.devices(views.tallies(store), None))
        decoded = median_ms(lambda: views.devices(views.tallies_of(store.latest()), None))
    finally:
        store.close()
    return by_sql, decoded


def main() -> int:
    import requests

    from tests.console.conftest import PASSWORDS, add_user
    from tests.support.chromium import chromium
    from tests.support.fleet import collector_config, start_collector
    from tests.support.proc import free_port

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        port = free_port()
        config = collector_config(folder, port=port, site="big")
        count = seed(config)
        by_sql, decoded = rows_compared(config)
        assert add_user(config, "admin", "admin").returncode == 0
        proc, _ = start_collector(config, port)
        url = f"https://127.0.0.1:{port}"
        try:
            with requests.Session() as s:
                s.trust_env = False
                s.verify = str(folder / "state" / "tls" / "ca.pem")
                csrf = re.search(r'name="csrf" value="([^"]+)"', s.get(url + "/login").text).group(1)
                s.post(url + "/login", data={"csrf": csrf, "username": "admin", "password": PASSWORDS["admin"]})
                times = []
                for _ in range(RUNS):
                    start = time.perf_counter()
                    r = s.get(url + "/site/big")
                    times.append(time.perf_counter() - start)
                    assert r.status_code == 200 and r.text.count("<tr>") >= count
                site_ms = statistics.median(times) * 1000
                cookie = s.cookies.get("patrol_session")
            with chromium() as browser:
                ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1366, "height": 768})
                ctx.add_cookies([{"name": "patrol_session", "value": cookie, "url": url}])
                page = ctx.new_page()
                map_times = []
                for _ in range(5):
                    start = time.perf_counter()
                    page.goto(url + "/site/big/map", wait_until="load")
                    nodes = page.locator("svg#topology circle").count()
                    map_times.append(time.perf_counter() - start)
                    assert nodes == count, nodes
                map_s = statistics.median(map_times)
                ctx.close()
        finally:
            proc.stop()
    print(f"site page, {count} devices ({PORTS}-port switches): median {site_ms:.0f} ms over {RUNS} GETs "
          f"(target < 300 ms)")
    print(f"device rows of the site page, in-process: {by_sql:.1f} ms from SQL counts against {decoded:.1f} ms "
          f"decoding every latest result first ({decoded / by_sql:.0f}x)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"topology map, {count} nodes in Chromium: median {map_s * 1000:.0f} ms to load with every node drawn "
          f"(target < 2000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
