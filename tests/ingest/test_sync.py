"""Runs recorded on the leggings away from any station, synced end to end: virtual leggings on
the emulated BlueZ record three runs; the agent comes in range and syncs them with the link
dropped twice mid-transfer; the server stores three sessions whose strides equal `analyze` on the
same samples; the leggings erase a run only once the server has stored it; a second sync stores
nothing new."""

import asyncio
import sqlite3

import numpy as np
import pytest

from ingest.agent.sync import Server, sync_in_range
from ingest.protocol import ble
from metrics.core import Body, Recording, analyze
from tests.ingest.fake_bluez import FakeBlueZ
from tests.ingest.live_server import free_port, prepare_demo, start_server, start_worker
from tests.ingest.test_ble_link import ADDRESS, bus  # noqa: F401 (the emulated BlueZ's bus)

RUN_S = 45.0
STARTS = (30 * 200, 90 * 200, 150 * 200)  # three runs, on the sample clock


@pytest.fixture
def server(tmp_path):
    db = tmp_path / "server.sqlite3"
    demo = prepare_demo(db)
    port = free_port()
    processes = [start_server(db, port), start_worker(db)]
    yield db, Server(f"http://127.0.0.1:{port}", demo.token)
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def _synced(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, device_run, status, runner_id FROM runs_runsession "
                            "WHERE source = 'synced' ORDER BY device_run").fetchall()


async def test_three_runs_recorded_alone_are_synced_through_two_drops_and_stored_once(bus, server, tmp_path):  # noqa: F811
    db, link = server
    bluez = FakeBlueZ(bus)
    await bluez.start([(ADDRESS, "StrideSite-0001")])
    leggings = bluez.leggings[0]
    recorded = [leggings.source.record_run(RUN_S, start) for start in STARTS]  # nobody near: flash only
    total_chunks = sum(info.size_bytes for info in recorded) // 229
    leggings.drop_after_chunks = [total_chunks // 5, total_chunks // 2]  # the link drops twice
    erase = leggings.source.flash.erase
    erased_when_stored = []

    def erase_checked(run_id: int) -> bool:  # the leggings erase a run only once it is stored
        stored = [run for _, run, status, _ in _synced(db) if status == "done"]
        erased_when_stored.append(run_id in stored)
        return erase(run_id)

    leggings.source.flash.erase = erase_checked
    config = next(item for item in link.config()["leggings"] if item["ble_address"] == ADDRESS)
    try:
        report = await sync_in_range(ADDRESS, config, link, tmp_path / "runs")
        assert report is not None and report.stored == [1, 2, 3] and not report.failed
        assert leggings.connects >= 3 and not leggings.drop_after_chunks  # reconnected after both drops
        assert erased_when_stored == [True, True, True] and leggings.source.flash.listed() == []

        leggings.source.flash.stored[1].synced = False  # an erase the leggings lost: listed again
        again = await sync_in_range(ADDRESS, config, link, tmp_path / "runs")
    finally:
        bluez.stop()
    assert again.stored == [2] and leggings.source.flash.listed() == []
    sessions = _synced(db)
    assert [(run, status) for _, run, status, _ in sessions] == [(1, "done"), (2, "done"), (3, "done")]
    assert not list((tmp_path / "runs").iterdir())  # part files gone once stored

    with sqlite3.connect(db) as conn:
        height = conn.execute("SELECT height_cm FROM athletes_runnerprofile WHERE id = ?",
                              (sessions[0][3],)).fetchone()[0]
        for (session_id, _, _, _), info in zip(sessions, recorded, strict=True):
            stored = conn.execute("SELECT leg, t_start, kickback_deg, knee_elevation_deg FROM "
                                  "metrics_striderecord WHERE session_id = ? ORDER BY leg, t_start",
                                  (session_id,)).fetchall()
            index = info.first_index + np.arange(info.instants)
            raw = leggings.source._loop[index % len(leggings.source._loop)]  # what the flash held
            samples = Recording(np.arange(info.instants) / info.rate_hz, raw * ble.lsb(32, 2000))
            strides, _ = analyze(samples, Body.from_height(height / 100), sample_rate=info.rate_hz)
            expected = sorted((s.leg, s.t_start, s.kickback_deg, s.knee_elevation_deg) for s in strides)
            assert len(stored) > 40
            assert stored == expected


async def test_in_run_mode_leggings_coming_in_range_sync_their_runs_then_stream(bus, server, tmp_path):  # noqa: F811
    """`stridesite-agent run`: the link's first job is the stored runs, then streaming starts."""
    from ingest.agent.ble_link import LinkState, keep_streaming
    from ingest.agent.sync import sync_leggings

    db, link = server
    bluez = FakeBlueZ(bus)
    await bluez.start([(ADDRESS, "StrideSite-0001")])
    leggings = bluez.leggings[0]
    leggings.source.record_run(20.0, STARTS[0])
    config = next(item for item in link.config()["leggings"] if item["ble_address"] == ADDRESS)
    notifications = []
    task = asyncio.create_task(keep_streaming(
        ADDRESS, notifications.append, LinkState(),
        on_connect=lambda client: sync_leggings(client, config, link, tmp_path / "runs")))
    try:
        for _ in range(300):  # up to 30 s
            await asyncio.sleep(0.1)
            if len(notifications) > 50:
                break
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        bluez.stop()
    assert len(notifications) > 50 and leggings.source.flash.listed() == []
    assert [(run, status) for _, run, status, _ in _synced(db)] == [(1, "done")]
