"""History in a real browser: a runner's sessions, a session's charts and a picked stride,
a coach's zone edit."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_squad_page import _login

pytestmark = pytest.mark.browser


def test_runner_opens_a_session_and_picks_a_stride(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1280, 900)
    _login(page, base_url, "runner1", password)
    assert page.locator("tbody tr").count() >= 3
    screenshot(page, "history-runner-home")
    page.locator("tbody tr", has_text="Uploaded file").first.locator("a").click()
    page.wait_for_url("**/sessions/**")
    page.wait_for_function("document.getElementById('chart-kickback').dataset.ready === 'true'",
                           timeout=20_000)
    points = page.evaluate("document.getElementById('chart-kickback').data.map(t => t.y.length)")
    assert sum(points) > 100
    page.evaluate("""() => { const chart = document.getElementById('chart-kickback');
        chart.emit('plotly_click', {points: [{customdata: chart.data[0].customdata[5]}]}); }""")
    page.wait_for_function("document.getElementById('chart-stride').data", timeout=10_000)
    assert "kickback" in page.locator("#picked").inner_text()
    screenshot(page, "history-session")


def test_coach_edits_a_zone(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1280, 900)
    _login(page, base_url, "coach", password)
    page.goto(f"{base_url}/runners/1/zones/")
    page.select_option("select[name=band]", "tempo")
    page.fill("input[name=low]", "108")
    page.fill("input[name=high]", "127")
    page.click("#zone-form button")
    assert "108–127°" in page.content()
    screenshot(page, "history-zones")


def test_runner_uploads_a_recording(demo_server, page_at, tmp_path):
    import numpy as np

    from metrics.core import Recording, write_csv
    from metrics.simulator import SENSORS, Phase, simulate

    sim = simulate([Phase("stand", 3.0), Phase("run", 20.0, 3.8)], sample_rate=100, seed=4)
    path = tmp_path / "track.csv"
    with open(path, "w") as handle:
        write_csv(Recording(sim.t, np.column_stack([sim.imu[s] for s in SENSORS])), handle)
    bad = tmp_path / "bad.csv"
    bad.write_text("t,foo\n0,1\n")
    base_url, password = demo_server
    page = page_at(1280, 900)
    _login(page, base_url, "runner2", password)
    page.goto(f"{base_url}/sessions/upload/")
    page.set_input_files("input[name=file]", str(bad))
    page.click("#upload-form button")
    page.wait_for_selector(".errorlist")
    assert "line 1: missing columns" in page.locator(".errorlist").inner_text()
    page.set_input_files("input[name=file]", str(path))
    page.click("#upload-form button")
    page.wait_for_function("document.getElementById('chart-kickback')?.dataset.ready === 'true'",
                           timeout=30_000)
    assert "strides found" in page.content()
    screenshot(page, "history-upload-result")
