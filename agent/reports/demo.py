"""A demo site with a deterministic history, for the sample reports, the tests and the bench.

``seed_demo(store, now)`` writes seven months of results (April to October 2026, every
4 hours) for a small
office: eight computers, two switches and a network printer, with problems an engineer
would recognise (stale antivirus signatures, a filling disk, a flapping uplink, low
toner, a configuration change). Rows go straight into the store's tables in bulk: this
is seed data, and ``Store.record_run`` is exercised by the store's own tests.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from agent.store import Store, core
from collectors import messages
from collectors.messages import Messages, Said
from agent.store.types import upsert
from inventory.models import AssetInfo, Host, Inventory, NetworkDevice, Printer, Site

DEMO_NOW = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)  # the fixed clock: just after October
DEMO_START = datetime(2026, 3, 31, 16, 0, tzinfo=timezone.utc)  # 2026-04-01 00:00 in Asia/Shanghai
DEMO_ZONE = "Asia/Shanghai"
_OCT = 183  # day index of 1 October
DEMO_SITE = "demo-hq"


def demo_inventory() -> Inventory:
    # Typed-in asset fields (设备档案); the archive's captures are agent/assets/demo.py. pc-001's warranty
    # ends soon, pc-005's has ended, pc-004's label carries another machine's serial (a conflict).
    typed = {1: {"warranty_end": date(2026, 12, 10)}, 4: {"serial": "PC07ACME"},
             5: {"warranty_end": date(2026, 6, 30)}}
    hosts = tuple(Host(name=f"pc-{i:03d}", address=f"10.1.0.{20 + i}", os="windows",
                       asset=AssetInfo(number=f"ACME-{1000 + i}", user=user, location=loc, supplier="联想华东",
                                       **typed.get(i, {})))
                  for i, (user, loc) in enumerate([("Wang Fang", "2F finance"), ("Li Wei", "2F finance"),
                                                    ("Zhang Min", "3F sales"), ("Liu Yang", "3F sales"),
                                                    ("Chen Jie", "3F sales"), ("Zhao Lei", "4F admin"),
                                                    ("Sun Li", "4F admin"), ("Zhou Qiang", "4F IT")], start=1))
    server = Host(name="srv-file", address="10.1.0.10", os="linux", criticality="high",
                  asset=AssetInfo(number="ACME-0001", location="server room", supplier="Dell 中国",
                                  warranty_end=date(2027, 8, 31)))
    switches = (NetworkDevice(name="sw-core", address="10.1.0.1", criticality="critical", platform="cisco_ios"),
                NetworkDevice(name="sw-3f", address="10.1.0.2", depends_on=("sw-core",), platform="cisco_ios"))
    return Inventory(site=Site(name=DEMO_SITE, customer="ACME Trading Co. 艾克美贸易", address="Shanghai",
                               contract_end=date(2026, 12, 15)),
                     hosts=(*hosts, server), network_devices=switches,
                     printers=(Printer(name="prn-3f", address="10.1.0.50"),))


def _host_results(name: str, at: datetime, day: int, rnd: random.Random) -> Iterator[tuple[str, str, str, Said, list]]:
    """(check, item, state, sentence, metrics) of one computer at one time."""
    age = 1 + day % 2
    stale_from = {"pc-003": _OCT + 9, "pc-006": _OCT + 14, "pc-007": _OCT + 19}.get(name)
    if stale_from is not None and day >= stale_from:
        age = day - stale_from + 8
    state = "crit" if age > 14 else "warn" if age > 7 else "ok"
    yield "antivirus.signatures", "Windows Defender", state, DEMO.say("demo.av.signatures", days=age), [
        {"name": "signature_age_days", "value": age, "unit": "days"}]
    yield "antivirus.realtime", "Windows Defender", "ok", _said("antivirus.realtime.on"), []
    products = 2 if name == "pc-005" else 1
    yield ("antivirus.policy", "", "warn" if products > 1 else "ok", DEMO.say("demo.av.products", n=products),
           [{"name": "antivirus_products_count", "value": products, "unit": "count"}])
    missing = 3 if name in ("pc-002", "pc-004") and day >= _OCT + 12 else 0
    yield ("patches.security", "", "crit" if missing else "ok", DEMO.say("demo.patches.critical", n=missing),
           [{"name": "missing_security_updates_count", "value": missing, "unit": "count"}])
    used = 60 + (max(0, day - 120) * 0.4 if name == "pc-008" else 0) + rnd.random() * 3
    yield ("system.disk", "C:", "crit" if used >= 95 else "warn" if used >= 85 else "ok",
           DEMO.say("demo.disk", mount="C:", used=used), [{"name": "disk_used_percent", "value": round(used, 1), "unit": "percent"}])
    mem = 40 + rnd.random() * 20
    yield ("system.memory", "", "ok", DEMO.say("demo.memory", used=mem),
           [{"name": "memory_used_percent", "value": round(mem, 1), "unit": "percent"}])
    web_bad = name == "pc-004" and at.hour == 4 and day % 9 == 0
    yield ("web.http", "https://intranet.example", "crit" if web_bad else "ok",
           _said("run.timeout", seconds=10) if web_bad else DEMO.say("demo.web.ok", status=200, seconds=0.3), [])
    yield "mail.smtp", "", "ok", DEMO.say("demo.mail.accepted"), []
    paused = name == "pc-003" and day % 11 == 0
    yield ("printers.queue", "prn-3f", "warn" if paused else "ok",
           _said("printers.reason.paused") if paused else DEMO.say("demo.ready"), [])
    yield "domain.secure_channel", "", "ok", DEMO.say("demo.domain.healthy"), []
    yield "software.office", "Microsoft Office", "ok", DEMO.say("demo.software.allowed", version="16.0.17928"), []
    yield ("hardware.drivers", "", "warn" if name == "pc-006" else "ok",
           DEMO.say("demo.hardware.no_driver", n=1, device="PCI Simple Communications Controller") if name == "pc-006"
           else DEMO.say("demo.hardware.drivers_ok"), [])
    yield "hardware.conflicts", "", "ok", DEMO.say("demo.hardware.no_error"), []


def _switch_results(name: str, at: datetime, day: int, rnd: random.Random) -> Iterator[tuple[str, str, str, Said, list]]:
    yield "switch.reachability", "", "ok", DEMO.say("demo.snmp.answers_in", ms=4), []
    yield ("switch.uptime", "", "warn" if name == "sw-3f" and day in (95, _OCT + 17) and at.hour < 6 else "ok",
           DEMO.say("demo.switch.up_days", days=41), [])
    # The 3F uplink flaps: now and then in spring, most days from August on.
    flap = name == "sw-3f" and at.hour in (4, 8) and (day % 3 != 0 if day >= 122 else day % 20 == 0)
    yield ("switch.ports", "Gi1/0/48", "crit" if flap else "ok",
           DEMO.say("demo.switch.uplink_down" if flap else "demo.switch.uplink_up", port="Gi1/0/48"), [])
    errs = 0.2 if name == "sw-core" and day % 7 == 3 else 0.0
    yield ("switch.errors", "Gi1/0/1", "warn" if errs else "ok", DEMO.say("demo.switch.input_errors", percent=errs),
           [{"name": "input_errors_percent", "value": errs, "unit": "percent"}])
    cpu = 10 + rnd.random() * 10
    yield "switch.cpu", "", "ok", _said("switch.cpu", value=cpu), [{"name": "cpu_percent", "value": round(cpu, 1), "unit": "percent"}]
    yield "switch.memory", "", "ok", _said("switch.memory", used=38), []
    yield "switch.environment", "fans", "ok", DEMO.say("demo.switch.environment", fans=2, psus=1, celsius=41), []
    yield "switch.health", "", "ok", DEMO.say("demo.switch.health", cpu=1, memory=1, temperature=1, fans=2, psus=1), []
    changed = name == "sw-core" and day in (150, _OCT + 22) and at.hour >= 12
    yield "netconfig.changes", "running-config", "warn" if changed else "ok", \
        (DEMO.say("demo.netconfig.changed", what="running-config", lines=3, note="vlan 30 added") if changed
         else DEMO.say("demo.netconfig.unchanged")), []


def _printer_results(name: str, at: datetime, day: int, rnd: random.Random) -> Iterator[tuple[str, str, str, Said, list]]:
    yield "printer_snmp.reachability", "", "ok", DEMO.say("demo.snmp.answers"), []
    toner = max(3, 90 - (day % 90) * 1.1)
    yield ("printer_snmp.supplies", "black toner", "crit" if toner <= 5 else "warn" if toner <= 15 else "ok",
           DEMO.say("demo.printer.toner", supply="black toner", level=toner),
           [{"name": "supply_level_percent", "value": round(toner), "unit": "percent"}])
    jam = day % 13 == 5 and at.hour == 8
    yield "printer_snmp.status", "", "warn" if jam else "ok", DEMO.say("demo.printer.jam" if jam else "demo.ready"), []


# The demo's sentences: the collectors' own where one says exactly this (_said), the rest here,
# with their zh-CN in the report catalogue like any collector's (msg.demo.*).
DEMO = Messages({
    "demo.av.signatures": "signatures are {days} days old",
    "demo.av.products": "{n} antivirus product(s) installed",
    "demo.patches.critical": "{n} critical updates missing",
    "demo.disk": "{mount} {used:.0f}% used",
    "demo.memory": "memory {used:.0f}% used",
    "demo.web.ok": "HTTP {status} in {seconds:g} s",
    "demo.mail.accepted": "submission accepted",
    "demo.ready": "ready",
    "demo.domain.healthy": "secure channel healthy",
    "demo.software.allowed": "{version} allowed",
    "demo.hardware.no_driver": "{n} device without a driver: {device}",
    "demo.hardware.drivers_ok": "all devices have drivers",
    "demo.hardware.no_error": "no device in an error state",
    "demo.snmp.answers_in": "SNMP answers in {ms} ms",
    "demo.snmp.answers": "SNMP answers",
    "demo.switch.up_days": "up {days} days",
    "demo.switch.uplink_down": "uplink {port} down",
    "demo.switch.uplink_up": "uplink {port} up",
    "demo.switch.input_errors": "{percent:.1f}% input errors",
    "demo.switch.environment": "{fans} fans ok, {psus} power supply ok, {celsius} °C",
    "demo.switch.health": "reads CPU {cpu}, memory {memory}, temperature {temperature}, fans {fans}, power supplies {psus}",
    "demo.netconfig.changed": "{what} changed: {lines} lines ({note})",
    "demo.netconfig.unchanged": "no change since last backup",
    "demo.printer.toner": "{supply} {level:.0f}%",
    "demo.printer.jam": "paper jam",
})


# The collectors' tables whose sentences the demo reuses (imported when seeding, not with this module).
_COLLECTOR_TABLES = {"antivirus": ("collectors.antivirus", "MSG"), "switch": ("collectors.switch", "MSG"),
                     "printers": ("collectors.printers", "MSG"), "run": ("collectors.messages", "RUN")}


def _said(mid: str, **params: Any) -> Said:
    """A collector's own sentence, said by its table (which checks the id is declared)."""
    module, table = _COLLECTOR_TABLES[mid.split(".")[0]]
    return getattr(importlib.import_module(module), table).say(mid, **params)


def demo_rows(site: str, start: datetime, days: int, step: timedelta) -> Iterator[dict[str, Any]]:
    inventory = demo_inventory()
    rnd = random.Random(7)
    families = [(t.name, _host_results) for t in inventory.hosts] + \
               [(t.name, _switch_results) for t in inventory.network_devices] + \
               [(t.name, _printer_results) for t in inventory.printers]
    at = start
    end = start + timedelta(days=days)
    while at < end:
        day = (at - start).days
        for target, results in families:
            for check, item, state, said, metrics in results(target, at, day, rnd):
                yield {"run_id": 0, "site": site, "target": target, "check": check, "item": item, "state": state,
                       "summary": said.text, "details": "", "metrics": metrics, "observed_at": at,
                       "message": messages.to_json(said.ref)}
        at += step


def seed_demo(store: Store, *, start: datetime = DEMO_START, days: int = 214,
              step: timedelta = timedelta(hours=4)) -> int:
    """Write ``days`` of history from ``start`` into ``store``; returns the number of results."""
    rows = list(demo_rows(store.site, start, days, step))
    latest: dict[tuple, dict] = {}
    for r in rows:
        latest[(r["site"], r["target"], r["check"], r["item"])] = r
    with store.engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(core.results.insert(), rows[i:i + 5000])
        upsert(conn, core.latest, [r | {"collector": r["check"].split(".")[0], "duration_s": 0.1}
                                   for r in latest.values()], keys=["site", "target", "check", "item"])
    return len(rows)


# (opened, target, check, item, title, tier, severity, ack after, resolved after) - minutes
_DEMO_TICKETS = [
    ("2026-05-12 09:05", "sw-3f", "switch.ports", "Gi1/0/48", "uplink Gi1/0/48 down", "urgent", "crit", 8, 95),
    ("2026-06-03 14:20", "pc-004", "web.http", "https://intranet.example", "intranet does not load", "general", "crit", 70, 300),
    ("2026-07-08 08:10", "sw-3f", "switch.ports", "Gi1/0/48", "uplink Gi1/0/48 down", "urgent", "crit", 6, 80),
    ("2026-07-21 10:40", "prn-3f", "printer_snmp.status", "", "paper jam", "general", "warn", 45, 200),
    ("2026-08-04 08:05", "sw-3f", "switch.ports", "Gi1/0/48", "uplink Gi1/0/48 down", "urgent", "crit", 14, 150),
    ("2026-08-19 13:00", "pc-008", "system.disk", "C:", "C: 86% used", "general", "warn", 100, 420),
    ("2026-09-09 08:03", "sw-3f", "switch.ports", "Gi1/0/48", "uplink Gi1/0/48 down", "urgent", "crit", 9, 110),
    ("2026-09-22 11:30", "sw-core", "switch.errors", "Gi1/0/1", "0.2% input errors", "serious", "warn", 35, 260),
    ("2026-10-10 09:00", "pc-003", "antivirus.signatures", "Windows Defender", "signatures 9 days old", "serious", "warn", 50, 230),
    ("2026-10-13 10:15", "pc-002", "patches.security", "", "3 critical updates missing", "serious", "crit", 20, None),
    ("2026-10-18 08:02", "sw-3f", "switch.ports", "Gi1/0/48", "uplink Gi1/0/48 down", "urgent", "crit", 7, 70),
    ("2026-10-23 12:40", "sw-core", "netconfig.changes", "running-config", "running-config changed", "general", "warn", 95, 380),
]
# Response and resolution targets by tier, minutes (docs/service-standard.md section 3).
_TIERS = {"urgent": (10, 120), "serious": (60, 240), "general": (120, 480)}


def seed_demo_tickets(store: Store) -> int:
    """Tickets in ticketing's tables, as its engine would have left them (seed data only)."""
    from sqlalchemy import inspect

    if not inspect(store.engine).has_table("tickets"):
        return 0
    from agent.findings import fingerprint
    from agent.ticketing import schema

    rows = []
    for i, (opened, target, check, item, title, tier, severity, ack, resolved) in enumerate(_DEMO_TICKETS, start=1):
        opened_at = datetime.strptime(opened, "%Y-%m-%d %H:%M").replace(tzinfo=timezone(timedelta(hours=8)))
        respond, resolve = _TIERS[tier]
        rows.append({
            "fingerprint": fingerprint(store.site, target, check, item), "kind": "finding", "site": store.site,
            "target": target, "check": check, "item": item, "title": f"{title} on {target}", "backend": "rt",
            "key": str(1000 + i), "url": None, "status": "resolved" if resolved else "acknowledged",
            "severity": severity, "tier": tier, "opened_at": opened_at,
            "acknowledged_at": opened_at + timedelta(minutes=ack), "acknowledged_by": "engineer",
            "resolved_at": opened_at + timedelta(minutes=resolved) if resolved else None,
            "resolved_by": "patrol" if resolved else None,
            "due_response": opened_at + timedelta(minutes=respond), "due_resolve": opened_at + timedelta(minutes=resolve),
            "response_breached": ack > respond, "resolve_breached": bool(resolved and resolved > resolve),
            "escalation_level": 0, "comments": 1, "reopen_count": 0, "flapping": False, "suppressed": [],
            "grouped": []})
    with store.engine.begin() as conn:
        conn.execute(schema.tickets.insert(), rows)
    return len(rows)


def demo_context(db_url: str):  # -> agent.context.AppContext
    """An AppContext over a freshly seeded demo store, with the fixed clock and demo settings."""
    from agent.context import AppContext, store_components
    from config.reports import ReportsSettings
    from config.schema import AgentSettings, Settings

    settings = Settings(agent=AgentSettings(site=DEMO_SITE, name="patrol-demo"),
                        reports=ReportsSettings(timezone=DEMO_ZONE, provider="Example IT Services 示例运维服务",
                                                engineer="Zhang San 张三", languages=("zh-CN", "en")))
    store = Store.open(db_url, DEMO_SITE, store_components())
    seed_demo(store)
    seed_demo_tickets(store)
    from agent.assets.demo import seed_demo_assets

    seed_demo_assets(store.engine, DEMO_SITE)
    ctx = AppContext(settings, clock=lambda: DEMO_NOW, _store=store)
    ctx.__dict__["inventory"] = demo_inventory()  # the cached_property's slot: no inventory file needed
    return ctx


def write_samples(out: Path, formats: list[str] | tuple[str, ...] = ("html", "pdf")) -> list[Path]:
    """The sample reports of docs/samples: October's inspection and Q3's fault analysis, both languages."""
    import tempfile

    from agent.reports.periods import parse_period
    from agent.reports.service import ReportRequest, generate

    with tempfile.TemporaryDirectory(prefix="patrol-demo-") as tmp:
        ctx = demo_context(f"sqlite:///{tmp}/demo.sqlite")
        try:
            files = []
            for kind, label in (("inspection", "2026-10"), ("faults", "2026Q3")):
                request = ReportRequest(kind=kind, site=DEMO_SITE, period=parse_period(label, DEMO_ZONE),
                                        languages=("zh-CN", "en"), formats=tuple(formats))
                files += generate(ctx, request, out)
            return files
        finally:
            ctx.close()
