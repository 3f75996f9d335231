"""The HTML reports in headless Chromium (Debian's, through Playwright): tables and charts
render, nothing is requested from anywhere, the console stays clean."""

import pytest

from tests.support.chromium import chromium


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.mark.parametrize("key", [("inspection", "zh-CN"), ("faults", "en")], ids=["inspection-zh", "faults-en"])
def test_report_renders_in_chromium(browser, rendered, key, tmp_path):
    page = browser.new_page()
    console, requests = [], []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    url = rendered[key]["html"].as_uri()
    page.goto(url)
    page.wait_for_load_state("load")
    assert console == []
    assert requests == [url]  # the file itself and nothing else
    tables = page.locator("table")
    assert tables.count() >= 4
    body_rows = page.locator("table tbody tr")
    assert body_rows.count() >= 10 and body_rows.first.is_visible()
    charts = page.locator("svg.chart")
    assert charts.count() >= 2
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 40
        assert charts.nth(i).locator("rect").count() >= 3  # bars were drawn
    page.screenshot(path=str(tmp_path / "page.png"), full_page=False)
    page.close()
