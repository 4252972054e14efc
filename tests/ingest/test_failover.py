"""The agent fails over between server processes, and a run it ends is a session of its own.

Two daphne processes on one database; the agent is given both. The one it streams to is
killed: it moves to the other at once and nothing is lost or stored twice. When the run
ends the server closes its sessions, so a run started seconds later is a new session (it
used to merge into the last one when the runs were under a minute apart).
"""

import signal
import sqlite3
import time

import pytest

from tests.ingest.live_server import free_port, prepare_demo, start_agent, start_server
from tests.ingest.test_zero_loss import RUNNERS, _check_exactly_once


@pytest.fixture
def setup(tmp_path):
    db = tmp_path / "server.sqlite3"
    token = prepare_demo(db).token
    return db, token, tmp_path / "spool.sqlite3"


def _sessions(db) -> list[tuple[int, str, int]]:
    with sqlite3.connect(db) as server:
        return server.execute("SELECT leggings_id, status, station_id FROM runs_runsession "
                              "WHERE source = 'live' ORDER BY leggings_id, id").fetchall()


def test_the_agent_fails_over_to_the_other_process_and_ends_its_run(setup):
    db, token, spool = setup
    first, second = free_port(), free_port()
    servers = {port: start_server(db, port) for port in (first, second)}
    agent = start_agent([first, second], token, spool, "--runners", str(RUNNERS), "--seconds", "16")
    try:
        time.sleep(5)
        servers[first].send_signal(signal.SIGKILL)  # the process the agent streams to dies
        servers[first].wait(timeout=10)
        out, err = agent.communicate(timeout=90)
        assert agent.returncode == 0, err
        ended = _sessions(db)
        assert len(ended) == RUNNERS and {status for _, status, _ in ended} == {"done"}
        assert all(station is not None for _, _, station in ended)
        _check_exactly_once(db, spool)

        again = start_agent([first, second], token, spool, "--runners", str(RUNNERS), "--seconds", "4")
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, err
    finally:
        for process in (*servers.values(), agent):
            if process.poll() is None:
                process.kill()
    runs = _sessions(db)
    assert len(runs) == 2 * RUNNERS  # the second run, seconds later, is a session of its own
    assert {status for _, status, _ in runs} == {"done"}
