"""Trackside: the coach's live board and a runner close-up update with real strides streamed
by the agent; a dropped websocket catches up by itself. Screenshots at tablet sizes."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_squad_page import _login

pytestmark = pytest.mark.browser


ALL_TILES_HAVE_A_STRIDE = """[...document.querySelectorAll('.tile')]
    .filter(t => t.querySelector('[data-metric=kickback]').dataset.zone).length >= 8"""


@pytest.mark.parametrize("width,height,name", [(1280, 800, "landscape"), (800, 1280, "portrait")])
def test_board_shows_every_runner_streaming(demo_server, page_at, width, height, name):
    base_url, password = demo_server
    page = page_at(width, height)
    _login(page, base_url, "coach", password)
    page.goto(f"{base_url}/live/squad/1/")
    page.wait_for_function("document.querySelectorAll('.tile').length === 8", timeout=20_000)
    page.wait_for_function(ALL_TILES_HAVE_A_STRIDE, timeout=60_000)
    assert page.locator("#connection").get_attribute("data-up") == "true"
    first = page.locator(".tile").first
    assert "spm" in first.locator(".cadence").inner_text()
    word = first.locator("[data-metric=kickback] .zone-word").inner_text().lower()
    assert word.rstrip("?") in ("below", "in", "above")  # "?" marks a low-quality stride (radio fades)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"live-board-{name}")


def test_board_catches_up_after_a_dropped_socket(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1280, 800)
    _login(page, base_url, "coach", password)
    page.goto(f"{base_url}/live/squad/1/")
    page.wait_for_function("window.stridesiteLive && window.stridesiteLive.feed.stats.events > 20",
                           timeout=60_000)
    page.evaluate("window.stridesiteLive.feed.drop()")
    page.wait_for_function("window.stridesiteLive.feed.stats.connects >= 2 && "
                           "window.stridesiteLive.feed.stats.backfills >= 2", timeout=20_000)
    before = page.evaluate("window.stridesiteLive.feed.stats.events")
    page.wait_for_function(f"window.stridesiteLive.feed.stats.events > {before + 10}", timeout=20_000)
    assert page.locator("#connection").get_attribute("data-up") == "true"


def test_close_up_draws_strides_and_angles(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1280, 800)
    _login(page, base_url, "coach", password)
    page.goto(f"{base_url}/live/squad/1/")
    page.wait_for_function("document.querySelectorAll('.tile').length === 8", timeout=20_000)
    page.locator(".tile").first.click()
    page.wait_for_url("**/live/runner/**")
    page.wait_for_function("Number(document.getElementById('closeup').dataset.drawn || 0) > 10",
                           timeout=60_000)
    points = page.evaluate("document.getElementById('kickback').data.map(t => t.y.length)")
    assert sum(points) > 10
    assert page.evaluate("document.getElementById('angles').data[0].y.length") > 20
    assert page.locator("#band").inner_text() in ("easy", "steady", "tempo", "fast", "sprint")
    screenshot(page, "live-closeup-landscape")


def test_a_runner_cannot_open_the_squad_board(demo_server, page_at):
    base_url, password = demo_server
    page = page_at()
    _login(page, base_url, "runner1", password)
    assert page.goto(f"{base_url}/live/squad/1/").status == 404


def test_a_low_quality_stride_is_faded_on_its_tile(demo_server, page_at):
    """Radio fades (the demo agent's --fade-every) leave some strides low-quality: their trail dots
    are hollow, and a tile whose last stride is low shows its value faded with "≈"."""
    base_url, password = demo_server
    page = page_at(1280, 800)
    _login(page, base_url, "coach", password)
    page.goto(f"{base_url}/live/squad/1/")
    page.wait_for_function("document.querySelectorAll('.tile').length === 8", timeout=20_000)
    seen = page.wait_for_function("""() => {
        const box = document.querySelector('.metric[data-quality=low]');  // read in one go: it redraws
        if (!box) return null;
        const value = box.querySelector('.value');
        return {value: value.textContent, opacity: Number(getComputedStyle(value).opacity),
                hollow: document.querySelectorAll('.dot.low').length}; }""", timeout=90_000).json_value()
    assert seen["value"].startswith("≈") and seen["opacity"] < 0.6 and seen["hollow"] >= 1
    screenshot(page, "live-board-low-quality")
