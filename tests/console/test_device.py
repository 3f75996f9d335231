"""The device page's parts from stored results (agent/serve/console/device.py): ports grid,
sensors, sparklines, configuration changes. Results are shaped as collectors/switch.py and
collectors/netconfig.py write them (the demo data of agent/serve/console/demo.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from agent.serve.console import device
from agent.serve.console.demo import DemoDevice, device_runs
from collectors.base import CheckResult, Metric, State

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)


def results(d: DemoDevice, at: datetime = T0) -> list[CheckResult]:
    return [r for run in device_runs(d, at) for r in run.results]


def test_ports_grid_colours_by_admin_and_oper_state_in_port_order():
    cells = device.ports(results(DemoDevice("sw", "switch", 12, down_ports=(3,))))
    assert [c.name for c in cells][:3] == ["Gi1/0/1", "Gi1/0/2", "Gi1/0/3"] and cells[-1].name == "Gi1/0/12"
    by = {c.name: c for c in cells}
    assert (by["Gi1/0/1"].css, by["Gi1/0/3"].css, by["Gi1/0/11"].css) == ("port-up", "port-down", "port-admin-down")
    assert by["Gi1/0/3"].state is State.CRIT and by["Gi1/0/3"].in_pct is None
    assert by["Gi1/0/2"].errors_per_s == 0.5 and by["Gi1/0/2"].errors_total == 1234.0


def test_a_port_without_admin_and_oper_words_is_unknown_not_up():
    old = CheckResult("switch.port", "sw", "Gi0/1", State.OK, "up", "ifIndex 1; ifDescr Gi0/1", observed_at=T0)
    [cell] = device.ports([old])  # a result stored by a Patrol before the words were added
    assert cell.css == "port-unknown"


def test_sensors_are_the_health_checks_in_order():
    names = [(r.check, r.item) for r in device.sensors(results(DemoDevice("sw", "switch", 4)))]
    assert names == [("switch.health", ""), ("switch.temperature", "chassis"), ("switch.fan", "fan 1"),
                     ("switch.psu", "PS 1"), ("switch.cpu", "1")]


def test_sparklines_span_the_box_and_leave_ports_out():
    history = [r for i in range(6) for r in results(DemoDevice("sw", "switch", 4), T0 + timedelta(minutes=5 * i))]
    sparks = {(s.check, s.item): s for s in device.sparklines(history)}
    assert ("switch.port", "Gi1/0/1") not in sparks and ("switch.cpu", "1") in sparks
    cpu = sparks[("switch.cpu", "1")]
    xs = [float(p.split(",")[0]) for p in cpu.points.split()]
    ys = [float(p.split(",")[1]) for p in cpu.points.split()]
    assert xs[0] == 0 and xs[-1] == device.SPARK_W and len(xs) == 6
    assert min(ys) >= 0 and max(ys) <= device.SPARK_H
    assert cpu.unit == "percent" and cpu.low < cpu.high


def test_a_single_point_or_a_flat_series_draws_no_nan():
    one = [CheckResult("x.y", "d", "", State.OK, "", metrics=(Metric("v", 1.0),), observed_at=T0)]
    assert device.sparklines(one) == []
    flat = one + [CheckResult("x.y", "d", "", State.OK, "", metrics=(Metric("v", 1.0),),
                              observed_at=T0 + timedelta(minutes=5))]
    [spark] = device.sparklines(flat)
    assert "nan" not in spark.points


def test_config_changes_once_each_newest_first_with_classified_lines():
    d = DemoDevice("sw", "switch", 2, config_change=True)
    history = results(d, T0) + results(d, T0 + timedelta(minutes=5))
    [change] = device.config_changes(history)
    assert change.at == T0
    kinds = dict((line, kind) for kind, line in change.lines)
    assert kinds["+ description <b>moved</b> to rack 2"] == "add" and kinds["- description uplink"] == "del"
    assert kinds["@@ -10,3 +10,3 @@"] == "hunk" and kinds["--- configs/sw.cfg@1a2b3c4"] == "meta"


def test_site_devices_filter_by_inventory_group():
    from agent.serve.console import views
    from agent.store import LatestState
    from inventory.models import Host, Inventory, NetworkDevice

    inventory = Inventory(hosts=(Host(name="pc-1", address="10.0.0.21", groups=("office", "floor-2")),
                                 Host(name="pc-2", address="10.0.0.22")),
                          network_devices=(NetworkDevice(name="sw-1", address="10.0.0.1", groups=("core",)),))
    latest = [LatestState("acme", run.collector, r, 0.1) for d in (DemoDevice("pc-1", "pc"), DemoDevice("pc-9", "pc"))
              for run in device_runs(d, T0) for r in run.results]
    rows = views.devices(views.tallies_of(latest), inventory)
    assert views.groups_of(inventory) == ["core", "floor-2", "office"]
    assert [d.name for d in views.filter_devices(rows, None, None, "office")] == ["pc-1"]
    assert [d.name for d in views.filter_devices(rows, "network_device", None, "core")] == ["sw-1"]
    assert views.filter_devices(rows, None, None, "no-such-group") == []
    assert len(views.filter_devices(rows, None, None, None)) == 4  # pc-9 is not in the inventory: no groups


def test_site_counts_from_sql_equal_those_of_the_decoded_results(tmp_path):
    """The site page counts states in SQL (views.tallies); the map from results it read."""
    from agent.serve.console import views
    from agent.serve.console.demo import demo_devices, seed
    from agent.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'p.sqlite'}", "acme")
    seed(store, demo_devices(30, ports=8), T0, cycles=2)
    seed(Store(store.engine, "other"), demo_devices(3), T0)  # another site's rows are not counted
    by_sql = views.devices(views.tallies(store), None)
    assert by_sql == views.devices(views.tallies_of(store.latest()), None)
    assert len(by_sql) == 30 and by_sql[0].state is State.CRIT and by_sql[0].last_seen == T0
    assert sum(d.items for d in by_sql) == len(store.latest())
    assert views.silent_agents(store) == 0
    ports = {(r.result.target, r.result.item): r.result.state for r in store.latest() if r.result.check == "switch.port"}
    assert views.port_states(store, "switch.port") == ports and State.CRIT in ports.values()
    store.close()
