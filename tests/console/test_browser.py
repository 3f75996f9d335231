"""The console in Debian's Chromium against a real `patrol serve` (see conftest.py)."""

from __future__ import annotations

import re

import requests

from tests.console.conftest import PASSWORDS, XSS_DEVICE, login


def _ca(console) -> str:
    return str(console.folder / "state" / "tls" / "ca.pem")


def test_login_logout_and_cookie_flags(page_of, console):
    page = page_of()
    page.goto(console.url + "/")
    assert "/login" in page.url  # no session: the sign-in page
    login(page, console.url, "eng", "wrong-password-123")
    assert page.locator(".error").is_visible()
    login(page, console.url, "eng", PASSWORDS["eng"])
    assert page.locator("h1").inner_text() == "Sites"
    cookie = next(c for c in page.context.cookies() if c["name"] == "patrol_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    page.click("#logout")
    page.wait_for_load_state("load")
    assert "/login" in page.url
    # The old cookie no longer opens a page: the session row is gone.
    old = requests.get(console.url + "/", cookies={"patrol_session": cookie["value"]}, verify=_ca(console),
                       allow_redirects=False, timeout=10)
    assert old.status_code == 303 and old.headers["location"].startswith("/login")


def test_pages_send_a_strict_content_security_policy(console):
    r = requests.get(console.url + "/login", verify=_ca(console), timeout=10)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in r.text.replace('<script src="/static/console.js" defer></script>', "")


def test_viewer_sees_only_own_site(page_of, console):
    page = page_of("view")
    assert page.locator(".card h2").all_inner_texts() == ["acme"]
    for path in ("/site/globex", "/site/globex/device/globex-pc-1", "/site/globex/tickets",
                 "/site/globex/findings", "/audit"):
        response = page.goto(console.url + path)
        assert response.status == 404, path
    response = page.goto(console.url + "/site/acme/device/pc-disk")
    assert response.status == 200
    page.goto(console.url + "/site/acme/tickets")
    assert page.locator("button.ack").count() == 0  # read-only


def test_engineer_sees_every_site(page_of, console):
    page = page_of("eng")
    assert sorted(page.locator(".card h2").all_inner_texts()) == ["acme", "globex"]
    assert page.goto(console.url + "/site/globex/device/globex-pc-1").status == 200
    assert page.goto(console.url + "/audit").status == 404  # admins only


def test_xss_payloads_are_shown_as_text(page_of, console):
    page = page_of("admin")
    for path in ("/", "/site/acme", "/site/acme/tickets", "/site/acme/findings", "/site/acme/device/pc-disk"):
        page.goto(console.url + path)
        assert page.evaluate("window.__xss") is None, path
    page.goto(console.url + "/site/acme")
    link = page.locator("table.devices").get_by_role("link", name=XSS_DEVICE, exact=True)
    assert link.count() == 1  # the name is a link's text, not markup
    link.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == XSS_DEVICE
    assert "<script>window.__xss=1</script>" in page.locator("td.summary").first.inner_text()
    assert page.evaluate("window.__xss") is None
    assert page.errors == []


def test_acknowledge_reaches_the_builtin_backend(page_of, console):
    page = page_of("eng")
    page.goto(console.url + "/site/acme/tickets")
    row = page.locator("tr[data-ticket]", has_text="pc-disk")
    assert row.count() == 1
    ticket_id = row.get_attribute("data-ticket")
    row.locator("input[name=text]").first.fill("on it <b>now</b>")
    with page.expect_navigation():
        row.locator("button.ack").click()
    assert page.locator(".done").is_visible()
    assert "acknowledged (console:eng)" in page.locator(f"tr[data-ticket='{ticket_id}'] td.status").inner_text()
    # The builtin backend's own record (what `patrol tickets show` reads) has it too.
    import sqlalchemy as sa

    from agent.ticketing import schema

    engine = sa.create_engine(f"sqlite:///{console.folder / 'state' / 'patrol.sqlite'}")
    with engine.connect() as conn:
        ticket = conn.execute(sa.select(schema.tickets).where(schema.tickets.c.id == int(ticket_id))).one()
        builtin = conn.execute(sa.select(schema.builtin_tickets)).all()
        comments = [r._mapping for r in conn.execute(sa.select(schema.builtin_comments))]
    engine.dispose()
    assert ticket.status == "acknowledged" and ticket.acknowledged_by == "console:eng"
    assert builtin and any("on it <b>now</b>" in str(dict(c)) for c in comments), comments


def test_forms_without_csrf_token_are_403(page_of, console):
    page = page_of("eng")
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "patrol_session")
    cookies = {"patrol_session": session}
    for path, data in (("/site/acme/tickets/1/acknowledge", {"text": "x"}),
                       ("/site/acme/tickets/1/comment", {"text": "x", "csrf": "forged"}),
                       ("/site/acme/findings/silence", {"target": "pc-disk", "check": "system.disk", "item": "C:",
                                                        "reason": "x", "until": "2099-01-01T00:00"}),
                       ("/logout", {})):
        r = requests.post(console.url + path, data=data, cookies=cookies, verify=_ca(console), timeout=10,
                          allow_redirects=False)
        assert r.status_code == 403, (path, r.text)
    r = requests.post(console.url + "/login", data={"username": "eng", "password": PASSWORDS["eng"]},
                      verify=_ca(console), timeout=10, allow_redirects=False)
    assert r.status_code == 403


def test_viewer_cannot_act_even_with_a_token(page_of, console):
    page = page_of("view")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "patrol_session")
    r = requests.post(console.url + "/site/acme/tickets/1/comment", data={"text": "x", "csrf": csrf},
                      cookies={"patrol_session": session}, verify=_ca(console), timeout=10, allow_redirects=False)
    assert r.status_code == 403


def test_zh_cn_pages_have_no_untranslated_keys(page_of, console):
    """Neither a message key nor an English label on a zh-CN page; table cells, details and
    diffs are data (device summaries, configuration text, the audit log's action names)
    except their state badges and buttons."""
    from agent.reports.i18n import catalogue

    zh, en = catalogue("zh-CN"), catalogue("en")
    english = {v for k, v in en.items() if k.startswith("console.") and isinstance(v, str) and v != zh[k]
               and len(v) > 3 and "{" not in v}
    page = page_of("admin", lang="zh-CN")
    for path in ("/?lang=zh-CN", "/site/acme", "/site/acme/device/sw-000", "/site/acme/device/sw-core",
                 "/site/acme/tickets", "/site/acme/findings", "/site/acme/silences", "/site/acme/map", "/site/acme/reports", "/agents",
                 "/audit"):
        page.goto(console.url + path)
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        text = page.evaluate("""() => { const b = document.body.cloneNode(true);
                                        b.querySelectorAll('header .user, pre, details.change summary')
                                         .forEach(e => e.remove());  // device text: diffs, details
                                        b.querySelectorAll('td').forEach(td => td.replaceChildren(
                                            ...td.querySelectorAll('.state, button')));
                                        return b.innerText; }""")
        assert re.search(r"\bconsole\.[a-z_.]+", text) is None, (path, text[:300])
        assert [e for e in english if e in text.replace("English", "")] == [], path
    page.goto(console.url + "/site/acme")
    assert "站点" in page.locator("header").inner_text()


def test_audit_log_holds_logins_and_actions_and_exports_csv(page_of, console):
    page = page_of("admin")
    page.goto(console.url + "/audit")
    text = page.locator("table.audit").inner_text()
    assert "console.login" in text and "console.login.failed" in text
    with page.expect_download() as info:
        page.click("a[href='/audit.csv']")
    body = info.value.path().read_text(encoding="utf-8-sig")
    assert body.startswith("at,site,actor,action,subject,detail")
    assert "console.login" in body


def test_brute_force_is_throttled_and_audited(console):
    with requests.Session() as s:
        s.trust_env = False
        s.verify = _ca(console)
        statuses = []
        for _ in range(6):
            csrf = re.search(r'name="csrf" value="([^"]+)"', s.get(console.url + "/login", timeout=10).text).group(1)
            r = s.post(console.url + "/login", data={"csrf": csrf, "username": "mallory", "password": "guess-1234567"},
                       allow_redirects=False, timeout=10)
            statuses.append(r.status_code)
    assert statuses == [401] * 5 + [429]
    assert int(r.headers["retry-after"]) > 0
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{console.folder / 'state' / 'patrol.sqlite'}")
    with engine.connect() as conn:
        actions = [a for (a,) in conn.exec_driver_sql("SELECT action FROM audit WHERE subject = 'mallory'")]
    engine.dispose()
    assert actions.count("console.login.failed") == 5 and "console.login.throttled" in actions


def test_engineer_generates_a_report_and_a_viewer_downloads_it(page_of, console):
    from datetime import datetime, timezone

    page = page_of("eng")
    page.goto(console.url + "/site/acme/reports")
    page.fill("input[name=period]", "no-such-period")
    with page.expect_navigation():
        page.click("#generate")
    assert "is not a period" in page.locator(".error").inner_text()
    page.fill("input[name=period]", datetime.now(timezone.utc).strftime("%Y-%m"))
    with page.expect_navigation():
        page.click("#generate")
    assert page.locator(".done").is_visible()
    links = page.locator("table.reports a")
    assert sorted(links.all_inner_texts()) == ["html", "json"]

    viewer = page_of("view")
    viewer.goto(console.url + "/site/acme/reports")
    assert viewer.locator("#generate").count() == 0
    with viewer.expect_download() as info:
        viewer.locator("table.reports a", has_text="json").click()
    assert '"site"' in info.value.path().read_text(encoding="utf-8")
    assert viewer.goto(console.url + "/site/acme/reports/..%2Fpatrol.sqlite").status == 404
    viewer.goto(console.url + "/")
    assert viewer.locator(".card dd").last.inner_text() != "—"  # the overview knows the last report


def test_map_colours_links_by_port_state_and_follows_a_port_going_down(page_of, console):
    from agent.serve.console.demo import DemoDevice, device_runs
    from agent.store import Store
    from collectors.base import utcnow

    page = page_of("eng")
    page.goto(console.url + "/site/acme/map")
    lines = page.locator("svg#topology line")
    assert lines.count() == 3  # the link seen from both switches is drawn once
    classes = sorted(line.get_attribute("class") for line in lines.all())
    # sw-000 Gi1/0/3 is down; ap-lobby is not monitored: its link takes sw-core's port state
    assert classes == ["link link-crit", "link link-ok", "link link-ok"]
    node = page.locator("svg#topology a.node[data-name='sw-core'] circle")
    where = (node.get_attribute("cx"), node.get_attribute("cy"))
    # Port Gi1/0/1 of sw-core goes down: the next refresh (10 s) draws its link red.
    store = Store.open(f"sqlite:///{console.folder / 'state' / 'patrol.sqlite'}", "acme")
    store.record_runs(device_runs(DemoDevice("sw-core", "switch", 8, down_ports=(1,)), utcnow()))
    store.close()
    from playwright.sync_api import expect

    expect(page.locator("svg#topology line.link-crit")).to_have_count(2, timeout=15000)
    node = page.locator("svg#topology a.node[data-name='sw-core'] circle")
    assert (node.get_attribute("cx"), node.get_attribute("cy")) == where  # the layout stays
    with page.expect_navigation():
        page.locator("svg#topology a.node[data-name='sw-core']").click()
    assert page.url.endswith("/site/acme/device/sw-core")
    assert page.errors == []


def test_engineer_adds_and_ends_a_silence_and_plans_a_window_the_ticket_engine_reads(page_of, console):
    import json
    import subprocess

    from tests.support.fleet import REPO, patrol_argv

    def listed() -> list[tuple[str, str, str, bool]]:  # what `patrol tickets silence list` (the engine's table) holds
        done = subprocess.run(patrol_argv(console.config, "tickets", "silence", "list", "--json"), cwd=REPO,
                              capture_output=True, text=True, timeout=60, check=True)
        return [(s["target"], s["check"], s["reason"], s["from"] is not None) for s in json.loads(done.stdout)
                if s.get("id")]

    page = page_of("eng")
    page.goto(console.url + "/site/acme/silences")
    form = page.locator("#silence-form")
    form.locator("input[name=target]").fill("sw-000")
    form.locator("input[name=check]").fill("switch.ports")
    form.locator("input[name=reason]").fill("cabling work <b>tonight</b>")
    with page.expect_navigation():
        page.click("#silence")
    assert page.locator(".done").is_visible()
    assert "cabling work <b>tonight</b>" in page.locator("table.silences").inner_text()
    assert listed() == [("sw-000", "switch.ports", "cabling work <b>tonight</b>", False)]

    window = page.locator("#window-form")
    window.locator("input[name=reason]").fill("core switch firmware")
    window.locator("input[name=target]").fill("sw-*")
    from datetime import datetime, timedelta, timezone

    day = (datetime.now(timezone.utc) + timedelta(days=30)).date()  # the console's zone is UTC here
    window.locator("input[name=start]").fill(f"{day}T22:00")
    window.locator("input[name=until]").fill(f"{day}T21:00")  # before the start: refused, named
    with page.expect_navigation():
        page.click("#window")
    assert "end: must be after the start" in page.locator(".error").inner_text()
    page.errors.clear()  # Chromium logs the 400 of the refused form as an error
    window.locator("input[name=until]").fill(f"{day + timedelta(days=1)}T02:00")
    with page.expect_navigation():
        page.click("#window")
    row = page.locator("table.windows tr[data-window]")
    assert row.count() == 1 and f"{day} 22:00" in row.inner_text()
    assert f"{day + timedelta(days=1)} 02:00" in row.inner_text()
    assert ("sw-*", "*", "core switch firmware", True) in listed()

    silence_row = page.locator("table.silences tr[data-silence]")
    silence_row.locator("input[name=reason]").fill("done early")
    with page.expect_navigation():
        silence_row.locator("button.end").click()
    assert listed() == [("sw-*", "*", "core switch firmware", True)]
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{console.folder / 'state' / 'patrol.sqlite'}")
    with engine.connect() as conn:
        actions = [(a, d) for a, d in conn.exec_driver_sql(
            "SELECT action, detail FROM audit WHERE actor = 'eng' AND action IN "
            "('silence.add', 'maintenance.add', 'silence.remove') ORDER BY id")]
    engine.dispose()
    assert [a for a, _ in actions] == ["silence.add", "maintenance.add", "silence.remove"]
    assert "done early" in actions[-1][1]
    assert page_of("view").goto(console.url + "/site/acme/silences").status == 404  # engineers and admins only
    assert page.errors == []


def test_findings_page_acknowledges_and_silences_one_finding_the_ticket_engine_holds(page_of, console):
    import json
    import subprocess
    from datetime import datetime, timedelta, timezone
    from types import SimpleNamespace

    import sqlalchemy as sa

    from agent.ticketing import schema
    from agent.ticketing.state import load_silences
    from tests.support.fleet import REPO, patrol_argv

    page = page_of("eng")
    page.goto(console.url + "/site/acme")
    with page.expect_navigation():
        page.get_by_role("link", name="Findings", exact=True).click()
    rows = page.locator("table.findings tr[data-finding]")
    states = rows.locator("td .state").evaluate_all("els => els.map(e => e.className.split('state-')[1])")
    assert states[:2] == ["crit", "crit"] and "warn" in states and "ok" not in states  # worst first, problems only
    assert states == sorted(states, key=["crit", "unknown", "warn"].index)
    psu = page.locator("tr[data-finding='pc-psu|system.disk|C:']")
    assert "Disk" in psu.inner_text() and "C: 99% used" in psu.locator("td.summary").inner_text()
    assert psu.locator("td.ticket a").inner_text().startswith("#")  # the ticket system's number, linked

    psu.locator("input[name=text]").fill("swapping the <b>disk</b>")
    with page.expect_navigation():
        psu.locator("button.ack").click()
    assert "/site/acme/findings" in page.url and page.locator(".done").is_visible()
    assert "acknowledged" in psu.locator("td.ticket").inner_text() and psu.locator("button.ack").count() == 0
    engine = sa.create_engine(f"sqlite:///{console.folder / 'state' / 'patrol.sqlite'}")
    with engine.connect() as conn:
        ticket = conn.execute(sa.select(schema.tickets).where(schema.tickets.c.target == "pc-psu")).one()
    assert ticket.status == "acknowledged" and ticket.acknowledged_by == "console:eng"

    # Silence the finding of the device whose name is markup: its names travel in hidden fields.
    row = page.locator("table.findings tr[data-finding]", has=page.get_by_role("link", name=XSS_DEVICE, exact=True))
    assert row.count() == 1
    row.locator("input[name=reason]").fill("user away <i>this week</i>")
    row.locator("input[name=until]").fill("2020-01-01T00:00")  # passed: refused, the field named
    with page.expect_navigation():
        row.locator("button.silence").click()
    assert "end: that time has passed" in page.locator(".error").inner_text()
    page.errors.clear()  # Chromium logs the 400 of the refused form as an error
    end = (datetime.now(timezone.utc) + timedelta(days=2)).replace(second=0, microsecond=0)
    row.locator("input[name=until]").fill(end.strftime("%Y-%m-%dT%H:%M"))  # the console's zone is UTC here
    with page.expect_navigation():
        row.locator("button.silence").click()
    assert page.locator(".done").is_visible()
    assert end.strftime("%Y-%m-%d %H:%M") in row.locator("td.held").inner_text()
    assert "user away <i>this week</i>" in row.locator("td.held").inner_text()
    assert page.evaluate("window.__xss") is None

    done = subprocess.run(patrol_argv(console.config, "tickets", "silence", "list", "--json"), cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=True)
    assert (XSS_DEVICE, "system.disk", "C:", "user away <i>this week</i>") in [
        (s["target"], s["check"], s["item"], s["reason"]) for s in json.loads(done.stdout)]
    rules = load_silences(engine, "acme", datetime.now(timezone.utc))
    finding = SimpleNamespace(target=XSS_DEVICE, check="system.disk", item="C:")
    other = SimpleNamespace(target="pc-disk", check="system.disk", item="C:")
    now = datetime.now(timezone.utc)
    assert any(r.matches(finding, now) for r in rules) and not any(r.matches(other, now) for r in rules)
    with engine.connect() as conn:
        audited = conn.exec_driver_sql("SELECT action, subject, detail FROM audit WHERE actor = 'eng' AND "
                                       "action IN ('console.ticket.acknowledge', 'silence.add') ORDER BY id").all()
    engine.dispose()
    assert ("console.ticket.acknowledge", "pc-psu/system.disk") in [(a, s) for a, s, _ in audited]
    assert audited[-1][0] == "silence.add" and '"page": "findings"' in audited[-1][2]

    viewer = page_of("view")
    viewer.goto(console.url + "/site/acme/findings")
    assert viewer.locator("table.findings tr[data-finding]").count() == rows.count()
    assert viewer.locator("table.findings form").count() == 0  # read-only
    assert page.errors == [] and viewer.errors == []


def test_device_page_shows_ports_sensors_sparklines_and_config_diff(page_of, console):
    page = page_of("view")
    page.goto(console.url + "/site/acme/device/sw-000")  # Gi1/0/3 is down in the demo data
    ports = page.locator("ul.ports li.port")
    assert ports.count() == 8
    assert "port-down" in page.locator("li.port[data-port='Gi1/0/3']").get_attribute("class")
    assert "port-admin-down" in page.locator("li.port[data-port='Gi1/0/7']").get_attribute("class")
    assert "port-up" in page.locator("li.port[data-port='Gi1/0/1']").get_attribute("class")
    assert "errors 0.50/s" in page.locator("li.port[data-port='Gi1/0/2']").inner_text()
    assert page.locator("table.sensors tr", has_text="switch.temperature").count() == 1
    # three stored cycles: each series with a metric is a line of three points
    line = page.locator("tr[data-spark='switch.cpu|1'] svg polyline")
    assert len(line.get_attribute("points").split()) == 3
    assert page.locator("tr[data-spark='switch.temperature|chassis'] svg").is_visible()
    page.goto(console.url + "/site/acme/device/sw-core")
    diff = page.locator("details.change pre.diff")
    assert diff.is_visible()  # the newest change is open
    assert page.locator(".diff-add").inner_text() == "+ description <b>moved</b> to rack 2"  # text, not markup
    assert page.locator(".diff-del").inner_text() == "- description uplink"
    assert page.evaluate("window.__xss") is None and page.errors == []


PHONE = {"width": 390, "height": 844}  # an iPhone 12-14 class screen, in CSS pixels


def test_phone_viewport_has_no_sideways_scroll_and_a_usable_nav(browser, console):
    ctx = browser.new_context(ignore_https_errors=True, viewport=PHONE, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    login(page, console.url, "eng", PASSWORDS["eng"])
    for path in ("/", "/site/acme", "/site/acme/device/sw-000", "/site/acme/device/sw-core", "/site/acme/tickets",
                 "/site/acme/silences", "/site/acme/reports", "/site/acme/map", "/agents"):
        page.goto(console.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)  # wide tables and the map scroll inside their own box
        for link in page.locator("header.top nav a").all():
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (path, box)
            assert box["height"] >= 16  # big enough to tap
    page.locator("header.top nav a", has_text="Agents").tap()
    page.wait_for_load_state("load")
    assert page.url.endswith("/agents")
    ctx.close()
