"""The pages a coach and a runner use most, as they look at a tablet (landscape and portrait) and a
phone, and an automated accessibility check (axe-core, bundled by axe-playwright-python: nothing is
fetched) that finds no serious or critical violation on them."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import screenshot
from tests.browser.test_squad_page import _login

pytestmark = pytest.mark.browser

SIZES = {"tablet-landscape": (1180, 820), "tablet-portrait": (820, 1180), "phone": (390, 844)}
READY = {  # page → what says it has drawn
    "board": "document.querySelectorAll('.tile .leg[data-zone]').length >= 8",
    "closeup": "Number(document.getElementById('closeup').dataset.drawn || 0) > 5",
    "session": "document.getElementById('chart-kickback').dataset.ready === 'true'",
    "trends": "document.body.dataset.ready === 'true'",
}


def _open(page, base_url: str, name: str) -> None:
    if name == "session":
        page.goto(f"{base_url}/runners/1/")
        page.locator("tbody tr", has_text="Uploaded file").first.locator("a").first.click()
        page.wait_for_url("**/sessions/**")
    else:
        page.goto(base_url + {"board": "/live/squad/1/", "closeup": "/live/runner/1/",
                              "trends": "/runners/1/trends/"}[name])
    page.wait_for_function(READY[name], timeout=60_000)


@pytest.mark.parametrize("size", SIZES)
def test_the_everyday_pages_at_tablet_and_phone_sizes(demo_server, page_at, size):
    base_url, password = demo_server
    width, height = SIZES[size]
    page = page_at(width, height)
    _login(page, base_url, "coach", password)
    for name in READY:
        _open(page, base_url, name)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"
        screenshot(page, f"{size}-{name}")


@pytest.mark.parametrize("name", list(READY))
def test_no_serious_accessibility_violation(demo_server, page_at, name):
    base_url, password = demo_server
    page = page_at(1180, 820)
    _login(page, base_url, "coach", password)
    _open(page, base_url, name)
    results = Axe().run(page)
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


@pytest.mark.parametrize("name", ["closeup", "session", "trends"])
def test_every_chart_has_a_title_and_axis_titles(demo_server, page_at, name):
    base_url, password = demo_server
    page = page_at(1180, 820)
    _login(page, base_url, "coach", password)
    _open(page, base_url, name)
    charts = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(chart => ({
        id: chart.id, title: chart.querySelector('.gtitle')?.textContent || '',
        x: chart.querySelector('.xtitle')?.textContent || '',
        y: chart.querySelector('.ytitle')?.textContent || ''}))""")
    assert len(charts) >= 3
    for chart in charts:
        assert chart["title"] and chart["x"] and chart["y"], chart
        units = ("degrees", "(s)", "m/s", "date", "pace band")
        assert any(unit in chart["x"] + chart["y"] for unit in units), chart
    if name == "trends":
        labels = page.locator("#trend-kickback-weeks .textpoint").all_text_contents()
        assert labels and set(labels) <= {"easy", "steady", "tempo", "fast", "sprint"}


def test_the_overview_sorts_from_the_keyboard(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1180, 820)
    _login(page, base_url, "coach", password)
    page.goto(f"{base_url}/squads/1/overview/")
    header = page.locator("#overview th").nth(1)
    header.focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") in ("ascending", "descending")
    first = header.get_attribute("aria-sort")
    page.keyboard.press(" ")
    assert header.get_attribute("aria-sort") != first
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus ring
