"""A squad streamed through two stations (two agents, as around a real track): the board says
which station each runner comes through, and when one station goes away its runners read
"station offline" within seconds while the others keep streaming."""

import signal
import subprocess
import sys

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_live_board import ALL_TILES_HAVE_A_STRIDE, _open_board
from tests.ingest.live_server import (
    ROOT,
    free_port,
    prepare_demo,
    server_env,
    start_agent,
    start_server,
    wait_until_running,
)

pytestmark = pytest.mark.browser
HOME, BACK = "Demo trackside station", "Back straight"


@pytest.fixture(scope="module")
def two_stations(tmp_path_factory):
    """The demo squad on a fresh server: leggings 1–4 through the demo station, 5–8 through a
    second station made with `manage.py create_station`."""
    db = tmp_path_factory.mktemp("stations") / "demo.sqlite3"
    demo = prepare_demo(db)
    out = subprocess.run([sys.executable, "manage.py", "create_station", "--coach", "coach", BACK],
                         cwd=ROOT, env=server_env(db), check=True, capture_output=True, text=True).stdout
    token = out.split("token: ")[1].split()[0]
    port = free_port()
    server = start_server(db, port)
    wait_until_running(45)  # the home straight's runners still stride when the other station dies
    agents = {
        name: start_agent(port, key, db.parent / f"spool-{n}.sqlite3", "--runners", "4", "--leggings",
                          ",".join(f"SS-{i:04d}" for i in serials), output=subprocess.DEVNULL)
        for n, (name, key, serials) in enumerate(((HOME, demo.token, range(1, 5)),
                                                   (BACK, token, range(5, 9))))}
    yield f"http://127.0.0.1:{port}", demo.password, agents
    for process in (*agents.values(), server):
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


TILES = """[...window.stridesiteLive.runners.values()].map(r => ({
    via: r.tile.querySelector('.via').textContent, status: r.tile.querySelector('.status').textContent,
    updated: Number(r.tile.dataset.updated || 0)}))"""


def test_a_board_fed_by_two_stations_survives_one_going_offline(two_stations, page_at):
    base_url, password, agents = two_stations
    page = page_at(1280, 800)
    _open_board(page, base_url, password, ALL_TILES_HAVE_A_STRIDE, timeout=60_000)
    page.wait_for_function(f"{TILES}.every(t => t.via && t.status === 'streaming')", timeout=10_000)
    tiles = page.evaluate(TILES)
    assert sorted(t["via"] for t in tiles) == [f"via {BACK}"] * 4 + [f"via {HOME}"] * 4
    screenshot(page, "live-board-two-stations")

    agents[BACK].send_signal(signal.SIGKILL)  # the back straight's laptop dies
    agents[BACK].wait(timeout=10)
    page.wait_for_function(f"{TILES}.filter(t => t.status === 'station offline').length === 4", timeout=5_000)
    before = page.evaluate(TILES)
    page.wait_for_timeout(3_000)
    after = page.evaluate(TILES)
    for old, new in zip(before, after, strict=True):
        if old["via"] == f"via {HOME}":  # the other station's runners keep streaming
            assert new["status"] == "streaming" and new["updated"] > old["updated"]
        else:
            assert new["status"] == "station offline"
    screenshot(page, "live-board-one-station-offline")
