"""Zero loss end to end: agent → daphne with the server killed, the socket dropped, the agent killed.

Afterwards every frame the agent ever created is stored exactly once, bit-exact, and the
strides stored live (across server restarts) equal those of an uninterrupted run.
"""

import signal
import time
import zlib

import numpy as np
import pytest

from tests.ingest.live_server import free_port, prepare_demo, start_agent, start_server

RUNNERS = 3


@pytest.fixture
def setup(tmp_path):
    db = tmp_path / "server.sqlite3"
    token = prepare_demo(db).token
    return db, token, tmp_path / "spool.sqlite3", free_port()


def _kill(process) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def test_nothing_is_lost_or_doubled(setup, django_db_blocker):
    db, token, spool, port = setup
    server = start_server(db, port)
    agent = start_agent(port, token, spool, "--runners", str(RUNNERS), "--seconds", "26", "--loss", "0.03")
    try:
        time.sleep(6)
        _kill(server)  # the server dies mid-stream: the agent keeps spooling
        time.sleep(3)
        server = start_server(db, port)
        time.sleep(4)
        _kill(agent)  # the agent dies with unacknowledged frames in its spool
        agent = start_agent(port, token, spool, "--runners", str(RUNNERS), "--seconds", "8", "--loss", "0.03")
        time.sleep(3)
        _kill(server)  # and the socket drops once more
        server = start_server(db, port)
        out, err = agent.communicate(timeout=120)
        assert agent.returncode == 0, err
    finally:
        for process in (server, agent):
            if process.poll() is None:
                _kill(process)
    _check_exactly_once(db, spool)


def _check_exactly_once(db, spool_path) -> None:
    import sqlite3

    from ingest.agent.virtual import VirtualLeggings

    server = sqlite3.connect(db)
    agent_spool = sqlite3.connect(spool_path)
    created = dict(agent_spool.execute("SELECT device, seq FROM next_seq").fetchall())
    assert agent_spool.execute("SELECT COUNT(*) FROM frames").fetchone()[0] == 0  # all acked
    assert len(created) == RUNNERS
    for number, (address, frames_made) in enumerate(sorted(created.items())):
        rows = server.execute(
            "SELECT c.frame_seq, c.first_index, c.offsets, c.samples, c.count FROM runs_rawchunk c "
            "JOIN runs_runsession s ON s.id = c.session_id JOIN ingest_leggings l ON l.id = s.leggings_id "
            "WHERE l.ble_address = ? ORDER BY c.frame_seq", (address,)).fetchall()
        assert [r[0] for r in rows] == list(range(frames_made)), address  # every frame, once
        device = VirtualLeggings(address, "x", seed=number + 1, speed=3.0 + 0.25 * number)
        indices = np.concatenate([r[1] + np.frombuffer(r[2], dtype="<u2").astype(np.int64) for r in rows])
        assert len(np.unique(indices)) == len(indices)  # no sample twice
        stored = np.concatenate([np.frombuffer(zlib.decompress(r[3]), dtype="<i2").reshape(r[4], 24)
                                 for r in rows])
        expected = device._loop[indices % len(device._loop)]
        assert zlib.crc32(stored.tobytes()) == zlib.crc32(expected.tobytes()), address
    _check_strides_match_an_uninterrupted_run(server)


def _check_strides_match_an_uninterrupted_run(server) -> None:
    from ingest.protocol.ble import lsb
    from metrics.core import Body, StrideEngine

    sessions = server.execute(
        "SELECT s.id, s.clock_origin, s.sample_rate_hz, r.height_cm, s.status FROM runs_runsession s "
        "JOIN athletes_runnerprofile r ON r.id = s.runner_id WHERE s.clock_origin IS NOT NULL").fetchall()
    compared = 0
    for session_id, origin, rate, height, status in sessions:
        chunks = server.execute("SELECT first_index, offsets, samples, count, accel_range_g, gyro_range_dps "
                                "FROM runs_rawchunk WHERE session_id = ? ORDER BY first_index", (session_id,))
        engine = StrideEngine(Body.from_height(height / 100), sample_rate=rate)
        replayed = []
        for first, offsets, samples, count, accel, gyro in chunks:
            idx = first + np.frombuffer(offsets, dtype="<u2").astype(np.int64)
            raw = np.frombuffer(zlib.decompress(samples), dtype="<i2").reshape(count, 24)
            replayed += engine.feed((idx - origin) / rate, raw * lsb(accel, gyro))
        if status == "done":  # the agent ended its run: the session's last strides were flushed
            replayed += engine.finish()
        live = server.execute(
            "SELECT leg, t_start, kickback_deg, knee_elevation_deg FROM metrics_striderecord "
            "WHERE session_id = ? ORDER BY leg, t_start", (session_id,)).fetchall()
        expected = sorted((s.leg, s.t_start, s.kickback_deg, s.knee_elevation_deg) for s in replayed)
        assert live == expected
        compared += len(live)
    assert compared > 60
