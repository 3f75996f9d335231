"""A real `patrol serve` evaluates the archive's findings in its watch loop: pushed snapshots
arrive only when they changed, so a hardware change must become a finding without a push."""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import replace
from datetime import date, timedelta

from agent.assets import archive
from agent.context import store_components
from agent.store import Store
from collectors.base import utcnow
from tests.assets.test_archive import pc
from tests.support.collector import CollectorProcess

SITE_YAML = """\
site: {name: hq}
hosts:
  - name: pc-1
    address: 192.0.2.21
  - name: pc-2
    address: 192.0.2.22
    asset: {number: PC-0002, warranty_end: %s}
"""


def test_collector_turns_an_archived_swap_and_a_warranty_into_findings(tmp_path):
    folder = tmp_path / "collector"
    (folder / "state").mkdir(parents=True)
    (folder / "site.yaml").write_text(SITE_YAML % (date.today() + timedelta(days=20)).isoformat(), encoding="utf-8")
    store = Store.open(f"sqlite:///{folder / 'state' / 'patrol.sqlite'}", "hq", store_components())
    now = utcnow()
    first = pc(now - timedelta(days=2))
    archive.record(store.engine, "hq", "pc-1", first)
    archive.record(store.engine, "hq", "pc-1", replace(first, captured_at=now - timedelta(days=1),
                                                      disks=(replace(first.disks[0], serial="S4DXNF0M999999"),)))
    store.close()

    with CollectorProcess.start(folder, {"paths": {"inventory": str(folder / "site.yaml")}}) as collector:
        deadline = time.monotonic() + 60
        while True:
            with closing(collector.sqlite()) as con:
                tickets = con.execute('SELECT target, "check", severity, status FROM tickets ORDER BY target').fetchall()
                latest = dict(con.execute("SELECT target || ' ' || \"check\", summary FROM latest "
                                          "WHERE \"check\" LIKE 'assets.%'").fetchall())
            if len(tickets) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert tickets == [("pc-1", "assets.hardware", "warn", "open"), ("pc-2", "assets.warranty", "crit", "open")], \
        collector.log_path.read_text()[-3000:]
    assert latest["pc-1 assets.hardware"].startswith("hardware changed (")
    assert "disks S4DXNF0M123456 removed" in latest["pc-1 assets.hardware"]
    assert latest["pc-2 assets.warranty"].startswith("warranty ends in 20 days")
