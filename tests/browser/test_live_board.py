"""Trackside: the coach's live board and a runner close-up update with real strides streamed
by the agent; a dropped websocket catches up by itself. Screenshots at tablet sizes."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_squad_page import _login

pytestmark = pytest.mark.browser


EIGHT_TILES = "document.querySelectorAll('.tile').length === 8"


def _open_board(page, base_url: str, password: str, ready: str = EIGHT_TILES, timeout: int = 20_000) -> None:
    """The demo squad's live board as its coach, once `ready` holds."""
    _login(page, base_url, "coach", password)
    page.goto(f"{base_url}/live/squad/1/")
    page.wait_for_function(ready, timeout=timeout)


ALL_TILES_HAVE_A_STRIDE = """[...document.querySelectorAll('.tile')]
    .filter(t => t.querySelector('[data-metric=kickback]').dataset.zone).length >= 8"""


@pytest.mark.parametrize("width,height,name", [(1280, 800, "landscape"), (800, 1280, "portrait")])
def test_board_shows_every_runner_streaming(demo_server, page_at, width, height, name):
    base_url, password = demo_server
    page = page_at(width, height)
    _open_board(page, base_url, password)
    page.wait_for_function(ALL_TILES_HAVE_A_STRIDE, timeout=60_000)
    assert page.locator("#connection").get_attribute("data-up") == "true"
    first = page.locator(".tile").first
    assert "spm" in first.locator(".cadence").inner_text()
    words = first.locator("[data-metric=kickback] .leg[data-zone] .zone-word").all_inner_texts()
    assert words and all(w.lower().rstrip("?") in ("below", "in", "above") for w in words)  # "?": low quality
    zone = first.locator("[data-metric=kickback] .zone")
    assert zone.locator(".lo").inner_text() == str(round(float(zone.get_attribute("data-low"))))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"live-board-{name}")


def test_board_catches_up_after_a_dropped_socket(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1280, 800)
    _open_board(page, base_url, password,
                "window.stridesiteLive && window.stridesiteLive.feed.stats.events > 20", timeout=60_000)
    page.evaluate("window.stridesiteLive.feed.drop()")
    page.wait_for_function("window.stridesiteLive.feed.stats.connects >= 2 && "
                           "window.stridesiteLive.feed.stats.backfills >= 2", timeout=20_000)
    before = page.evaluate("window.stridesiteLive.feed.stats.events")
    page.wait_for_function(f"window.stridesiteLive.feed.stats.events > {before + 10}", timeout=20_000)
    assert page.locator("#connection").get_attribute("data-up") == "true"


def test_close_up_draws_strides_and_angles(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1280, 800)
    _open_board(page, base_url, password)
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
    are hollow, and a tile whose last stride is low shows its value in grey italics with "≈"."""
    base_url, password = demo_server
    page = page_at(1280, 800)
    _open_board(page, base_url, password)
    seen = page.wait_for_function("""() => {
        const box = document.querySelector('.leg[data-quality=low]');  // read in one go: it redraws
        if (!box) return null;
        const value = box.querySelector('.value');
        return {value: value.textContent, style: getComputedStyle(value).fontStyle,
                hollow: document.querySelectorAll('.dot.low').length}; }""", timeout=90_000).json_value()
    assert seen["value"].startswith("≈") and seen["style"] == "italic" and seen["hollow"] >= 1
    screenshot(page, "live-board-low-quality")


def test_a_zone_change_redraws_the_band_and_the_words_at_once(demo_server, page_at):
    """The coach opens the zones from the close-up (prefilled with the zone as it stands), saves
    a kickback zone every stride is above (in every pace band: the runner's pace, and so the band
    the tile shows, may change meanwhile): the board's band, words and flag follow at once,
    without a reload."""
    base_url, password = demo_server
    board = page_at(1280, 800)
    _open_board(board, base_url, password, ALL_TILES_HAVE_A_STRIDE, timeout=60_000)
    runner, band = board.evaluate("""() => { const r = [...window.stridesiteLive.runners.values()]
        .sort((a, b) => a.name.localeCompare(b.name))[0]; return [r.id, r.band]; }""")
    coach = page_at(1280, 800)
    _login(coach, base_url, "coach", password)
    coach.goto(f"{base_url}/live/runner/{runner}/")
    coach.wait_for_function("document.getElementById('band').textContent !== '—'", timeout=30_000)
    coach.locator("#edit-zones").click()
    coach.wait_for_url("**/zones/**")
    shown = coach.locator("select[name=band]").input_value()
    low = coach.locator("input[name=low]").input_value()
    high = coach.locator("input[name=high]").input_value()
    assert float(low) < float(high)  # prefilled with the zone of the band the close-up showed
    bands = coach.locator("select[name=band] option").evaluate_all("options => options.map(o => o.value)")
    assert band in bands
    for each in [band] + [b for b in bands if b != band]:
        coach.select_option("select[name=band]", each)
        coach.select_option("select[name=metric]", "kickback")
        coach.fill("input[name=low]", "41")
        coach.fill("input[name=high]", "42")
        coach.click("#zone-form button[type=submit]")
        assert "live boards show it now" in coach.locator(".messages").inner_text()
    tile = f".tile[data-runner='{runner}']"
    board.wait_for_function(f"""() => {{
        const box = document.querySelector("{tile} [data-metric=kickback]");
        const words = [...box.querySelectorAll('.leg[data-zone]')].map(l => l.dataset.zone);
        return box.querySelector('.zone').dataset.low === '41' && words.length === 2
            && words.every(w => w === 'above')
            && document.querySelector("{tile}").dataset.flag === 'above'; }}""", timeout=10_000)
    assert "Kickback" in board.locator(f"{tile} .flag").inner_text()
    assert shown in ("easy", "steady", "tempo", "fast", "sprint")
    # A band at the scale's very end (41–42° of 40–160°) is labelled once, on the scale.
    scale, labels = board.evaluate(f"""() => {{
        const box = document.querySelector("{tile} [data-metric=kickback]");
        const edges = (el) => {{ const r = el.getBoundingClientRect(); return [r.left, r.right]; }};
        return [edges(box.querySelector('.scale')), [...box.querySelectorAll('.zone span')]
            .filter(s => s.textContent).map(s => [s.textContent, ...edges(s)])]; }}""")
    assert [text for text, _, _ in labels] == ["41–42"]
    assert all(scale[0] <= left and right <= scale[1] for _, left, right in labels)
    screenshot(board, "live-board-zone-changed")


def test_a_tile_is_flagged_only_when_most_recent_strides_are_out_and_stays_until_most_are_in(
        demo_server, page_at):
    """Hysteresis, through the board's own code on a runner of its own making: 4 of a leg's last
    6 good strides out of zone raise the flag, one odd stride neither raises nor clears it, and
    it clears when 2 or fewer of the last 6 are out; the pace band shown changes the same way."""
    base_url, password = demo_server
    page = page_at(1280, 800)
    _open_board(page, base_url, password)
    steps = page.evaluate("""() => {
        const zones = {};
        for (const band of ['easy', 'steady', 'tempo', 'fast', 'sprint'])
            zones[band] = {kickback: [100, 120], knee_elevation: [40, 60]};
        const runner = {strides: [], flags: {}, band: null, zones};
        const kicks = [110, 130, 110, 130, 130, 130, 130, 110, 110, 110, 110];
        const bands = ['steady', 'tempo', 'steady', 'tempo', 'tempo', 'tempo', 'tempo', 'steady',
                       'steady', 'steady', 'steady'];
        return kicks.map((kick, i) => {
            const stride = {leg: 'left', t_start: i, kickback_deg: kick, knee_elevation_deg: 50,
                            pace_band: bands[i], quality: {low: false}};
            runner.strides.push(stride);
            settle(runner, stride);
            return [runner.flags['left:kickback'] || '', runner.band];
        }); }""")
    flags = [flag for flag, _ in steps]
    assert flags == ["", "", "", "", "", "above", "above", "above", "above", "above", ""]
    assert [band for _, band in steps] == ["steady"] * 5 + ["tempo"] * 5 + ["steady"]


def test_a_runner_without_a_recent_stride_is_greyed_out_and_said_silent(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1280, 800)
    _open_board(page, base_url, password, ALL_TILES_HAVE_A_STRIDE, timeout=60_000)
    seen = page.evaluate("""() => {   // one task: no stride can arrive in between
        const runner = [...window.stridesiteLive.runners.values()][0];
        runner.lastAt = Date.now() - 12_000;
        runner.status = 'streaming';
        ageTiles();
        const value = runner.tile.querySelector('.value');
        return {id: runner.id, stale: runner.tile.dataset.stale,
                status: runner.tile.querySelector('.status').textContent,
                age: runner.tile.querySelector('.age').textContent,
                color: getComputedStyle(value).color,
                scale: Number(getComputedStyle(runner.tile.querySelector('.scale')).opacity)}; }""")
    assert seen["stale"] == "true" and seen["age"] == "last stride 12 s ago"
    assert seen["status"] == "no data"  # "streaming" but silent: its station may have died unannounced
    assert seen["color"] == "rgb(107, 107, 107)" and seen["scale"] < 0.5
    screenshot(page, "live-board-stale")
    tile = f".tile[data-runner='{seen['id']}']"
    # Its next stride brings it back. The demo loop ends in ~28 s of walking and standing, shared by
    # the whole squad, so the next running stride may be that far away.
    page.wait_for_function(f"document.querySelector(\"{tile}\").dataset.stale === 'false'",
                           timeout=45_000)
