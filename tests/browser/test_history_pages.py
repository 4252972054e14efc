"""History in a real browser: a runner's sessions, a session's charts and a picked stride,
a coach's zone edit."""

import os
import signal

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
    # Titles and axis titles with units, drawn (the bundled Plotly.js ignores plain-string titles).
    for chart in ("chart-kickback", "chart-knee", "chart-bands"):
        assert page.locator(f"#{chart} .gtitle").count() == 1
        assert "degrees" in page.locator(f"#{chart} .ytitle").text_content()
    assert "(s)" in page.locator("#chart-kickback .xtitle").text_content()
    page.evaluate("""() => { const chart = document.getElementById('chart-kickback');
        chart.emit('plotly_click', {points: [{customdata: chart.data[0].customdata[5]}]}); }""")
    page.wait_for_function("document.getElementById('chart-stride').data", timeout=10_000)
    assert "kickback" in page.locator("#picked").inner_text()
    assert "foot strike (s)" in page.locator("#chart-stride .xtitle").text_content()
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


def test_runner_uploads_a_recording(demo_server, demo_worker, page_at, tmp_path):
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
    # The request returns once the file is stored: the session page follows the background work
    # (the worker held meanwhile: it analyses this file faster than the page loads) …
    os.kill(demo_worker.pid, signal.SIGSTOP)
    try:
        page.click("#upload-form button")
        page.wait_for_selector("#upload-status")
        assert "analysed in the background" in page.content()
        screenshot(page, "history-upload-progress")
    finally:
        os.kill(demo_worker.pid, signal.SIGCONT)
    # … and shows the result when the worker is done.
    page.wait_for_function("document.getElementById('chart-kickback')?.dataset.ready === 'true' "
                           "&& !document.getElementById('upload-status')", timeout=60_000)
    assert int(page.locator("#stride-count").inner_text().split()[0]) > 20
    screenshot(page, "history-upload-result")


def test_low_quality_strides_are_drawn_hollow_and_counted(demo_server, page_at):
    """The demo's tempo run went through radio fades: its low-quality strides are hollow markers
    in a trace of their own, the summary says how many it left out, a picked one says why."""
    base_url, password = demo_server
    page = page_at(1280, 900)
    _login(page, base_url, "runner1", password)
    page.locator("tbody tr", has_text="Uploaded file").filter(has_text="low").first.locator("a").click()
    page.wait_for_url("**/sessions/**")
    page.wait_for_function("document.getElementById('chart-kickback').dataset.ready === 'true'",
                           timeout=20_000)
    traces = page.evaluate("""document.getElementById('chart-kickback').data.map(t => (
        {name: t.name, symbol: t.marker.symbol || 'circle', points: t.y.length, ids: t.customdata}))""")
    hollow = [t for t in traces if t["symbol"].endswith("-open")]  # left circles, right squares
    assert {t["name"] for t in hollow} == {"left · low quality", "right · low quality"}
    low = sum(t["points"] for t in hollow)
    assert low > 0 and sum(t["points"] for t in traces if t not in hollow) > 100
    assert f"+ {low} low-quality" in page.locator("#stride-count").inner_text()
    picked = next(t for t in hollow if t["points"])["ids"][0]
    page.evaluate(f"""() => document.getElementById('chart-kickback').emit('plotly_click',
        {{points: [{{customdata: {picked}}}]}})""")
    page.wait_for_function("document.getElementById('picked').textContent.includes('low quality')",
                           timeout=10_000)
    assert "±" in page.locator("#picked").inner_text()
    screenshot(page, "history-session-low-quality")


def test_markup_in_a_runners_name_stays_text_in_the_charts(demo_server, demo_db, page_at):
    """A runner named like a link: the compare chart's legend shows the characters, and no link."""
    import subprocess
    import sys

    from tests.ingest.live_server import ROOT, server_env

    def rename(name: str) -> str:
        """Set runner2's name in the served database; returns the one it had."""
        code = ("from athletes.models import RunnerProfile; "
                "r = RunnerProfile.objects.get(user__username='runner2'); print(r.display_name); "
                f"r.display_name = {name!r}; r.save()")
        out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                             env=server_env(demo_db[0]), check=True, capture_output=True, text=True).stdout
        return out.strip().splitlines()[-1]

    base_url, password = demo_server
    page = page_at(1280, 900)
    _login(page, base_url, "coach", password)
    original = rename('<a href="https://evil.example/">Mallory</a>')
    try:
        page.goto(f"{base_url}/squads/1/compare/")
        for box in page.locator("input[name=runner]").all()[:2]:
            box.check()
        page.locator("input[name=runner]").first.evaluate("e => e.form.submit()")
        page.wait_for_function("document.body.dataset.ready === 'true'", timeout=20_000)
        screenshot(page, "compare-markup-name")
        assert page.locator("#trend-kickback a[href*='evil.example']").count() == 0
        legend = page.locator("#trend-kickback .legendtext").all_text_contents()
        assert any('<a href="https://evil.example/">Mallory</a>' in text for text in legend), legend
    finally:
        rename(original)


def test_runner_makes_an_api_token_and_reads_her_sessions_with_it(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1280, 800)
    _login(page, base_url, "runner1", password)
    page.click("header >> text=API")
    page.fill("#token-name", "my notebook")
    page.click("text=Make a token")
    token = page.locator("#token-value").inner_text()
    screenshot(page, "api-token-made")
    bearer = {"Authorization": f"Bearer {token}"}
    answer = page.request.get(f"{base_url}/api/v1/sessions?limit=2", headers=bearer)
    assert answer.status == 200 and answer.json()["count"] >= 3 and len(answer.json()["items"]) == 2
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Revoke")
    page.wait_for_selector("text=revoked")
    assert page.request.get(f"{base_url}/api/v1/sessions", headers=bearer).status == 401
