"""A runner's page while runs recorded on her leggings arrive: the sync's progress, then the run
among her sessions, analysed. The agent's side is its own HTTP client (ingest/agent/sync.py)."""

import numpy as np
import pytest

from ingest.agent.sync import Server
from ingest.protocol import runs
from ingest.protocol.ble import quantise
from metrics.simulator import SENSORS, simulate, standard_session
from tests.browser.conftest import screenshot
from tests.browser.test_squad_page import _login

pytestmark = pytest.mark.browser


def test_the_runner_sees_a_run_syncing_from_her_leggings_then_stored(demo_server, demo_db, page_at):
    base_url, password = demo_server
    agent = Server(base_url, demo_db[1].token)
    sim = simulate(standard_session(3.8, 120), sample_rate=200, seed=41)
    raw = quantise(np.column_stack([sim.imu[s] for s in SENSORS]), 32, 2000)
    info = runs.RunInfo(41, 1_790_000_000, 5_000, 200, 32, 2000, len(raw))
    body = runs.encode_file(info, raw)
    state = agent.offer("SS-0001", info)  # runner1's leggings
    half = len(body) // 2
    agent.part(state["upload"], 0, body[:half])  # the link drops halfway

    page = page_at(1280, 800)
    _login(page, base_url, "runner1", password)
    page.goto(f"{base_url}/me/")
    row = page.locator("#syncing .sync")
    assert "SS-0001 run 41" in row.inner_text()
    assert 45 <= int(row.locator("progress").get_attribute("value")) <= 55
    screenshot(page, "runner-sync-in-progress")

    agent.part(state["upload"], half, body[half:])
    assert agent.finish(state["upload"])["state"] in ("queued", "reading", "stored")
    page.wait_for_function("!document.getElementById('syncing')", timeout=30_000)  # reloaded when done
    synced = page.locator("tr", has_text="Recorded on the leggings").first
    assert int(synced.locator("td[data-label=Strides]").inner_text().split()[0]) > 100
    assert synced.locator("td[data-label=Started]").inner_text() == "2026-09-21 14:13"  # when it was run
    # At desktop width the sessions are a table (its header over its columns), not phone cards.
    assert page.evaluate("getComputedStyle(document.querySelector('table.cards')).display") == "table"
    screenshot(page, "runner-sync-done")
