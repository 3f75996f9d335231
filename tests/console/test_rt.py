"""The console against a real Request Tracker 5: a ticket the ticket engine opened in RT,
acknowledged and commented in the console (Chromium), reaches RT itself (its history, its
comments' text), and the console links to RT's ticket page."""

from __future__ import annotations

import os

import pytest
import requests

from collectors.base import State
from tests.console.conftest import PASSWORDS, add_user, login
from tests.support.chromium import chromium
from tests.support.fleet import collector_config, start_collector
from tests.support.proc import free_port
from tests.ticketing.conftest import rt  # noqa: F401 - the session's real RT 5

SITE = "rt-console"
TOKEN_ENV = "PATROL_TEST_CONSOLE_RT_TOKEN"


def rt_get(rt, path: str, **params):  # noqa: F811 - rt is the fixture's value
    reply = requests.get(f"{rt.url}/REST/2.0{path}", params=params, headers=rt.headers, timeout=10)
    reply.raise_for_status()
    return reply.json()


def rt_texts(rt, key: str) -> list[str]:  # noqa: F811
    """The text of every plain-text attachment of the ticket (its creation and each comment)."""
    items = rt_get(rt, f"/ticket/{key}/attachments", fields="Content,ContentType", per_page=100)["items"]
    return [a.get("Content") or "" for a in items if (a.get("ContentType") or "").startswith("text/plain")]


@pytest.fixture(scope="module")
def rt_console(rt, tmp_path_factory):  # noqa: F811
    from agent.context import store_components
    from agent.serve.console.demo import DemoDevice, seed
    from agent.serve.console.schema import CONSOLE
    from agent.serve.schema import FLEET
    from agent.store import Store
    from agent.ticketing.service import TicketingService
    from collectors.base import utcnow
    from config.loader import load_settings
    from inventory.models import Inventory

    old = os.environ.get(TOKEN_ENV)
    os.environ[TOKEN_ENV] = rt.token  # the collector process inherits it; the config names only the variable
    folder = tmp_path_factory.mktemp("console-rt")
    port = free_port()
    config = collector_config(folder, port=port, site=SITE, extra=(
        f"ticketing: {{backend: rt, rt: {{url: '{rt.url}', token: 'env:{TOKEN_ENV}'}}}}\n"))
    settings = load_settings(config)
    store = Store.open(settings.store_url, SITE, [*store_components(), FLEET, CONSOLE])
    now = utcnow()
    service = TicketingService(settings, store, Inventory(), lambda: now)
    for runs in seed(store, [DemoDevice("pc-rt", "pc", problem=State.CRIT, summary="C: 98% used")], now, cycles=3):
        service.process(runs)
    assert not service.outbox.pending(), "the ticket did not reach RT"
    store.close()
    assert add_user(config, "eng", "engineer").returncode == 0
    proc, _ = start_collector(config, port)
    yield f"https://127.0.0.1:{port}"
    proc.stop()
    if old is None:
        os.environ.pop(TOKEN_ENV, None)
    else:
        os.environ[TOKEN_ENV] = old


def test_acknowledge_and_comment_in_the_console_reach_request_tracker(rt, rt_console):  # noqa: F811
    with chromium() as browser:
        ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1366, "height": 768})
        page = ctx.new_page()
        login(page, rt_console, "eng", PASSWORDS["eng"])
        page.goto(rt_console + f"/site/{SITE}/tickets")
        row = page.locator("tr[data-ticket]", has_text="pc-rt")
        assert row.count() == 1
        link = row.locator(f"a[href^='{rt.url}/Ticket/Display.html?id=']")
        key = link.get_attribute("href").rsplit("=", 1)[1]
        assert rt_get(rt, f"/ticket/{key}")["Status"] == "new"
        row.locator("input[name=text]").first.fill("replacing the disk <b>today</b>")
        with page.expect_navigation():
            row.locator("button.ack").click()
        assert page.locator(".done").is_visible()
        row = page.locator("tr[data-ticket]", has_text="pc-rt")
        assert "acknowledged (console:eng)" in row.locator("td.status").inner_text()
        row.locator("input[name=text]").last.fill("disk ordered, ETA 2 h")
        with page.expect_navigation():
            row.locator("button.comment").click()
        assert page.locator(".done").is_visible()
        ctx.close()
    # In RT itself: the acknowledgement opened the ticket and both texts are comments on it.
    assert rt_get(rt, f"/ticket/{key}")["Status"] == "open"
    comments = rt_texts(rt, key)
    assert any("Acknowledged by console:eng." in c and "replacing the disk <b>today</b>" in c for c in comments), \
        comments
    assert any("console:eng: disk ordered, ETA 2 h" in c for c in comments), comments
