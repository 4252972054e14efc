"""Scale-out: strides ingested on daphne process A reach a tablet connected to process B,
through the real Redis channel layer (run by .ci/run's PostgreSQL + Redis pass)."""

import asyncio
import contextlib
import json
import os
import signal
import time
from types import SimpleNamespace

import pytest
import websockets

from tests.ingest.live_server import (
    free_port,
    login_cookie,
    prepare_demo,
    start_agent,
    start_server,
    wait_until_running,
)

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                                reason="REDIS_URL unset: no Redis layer to test")


@pytest.fixture
async def two_processes(tmp_path):
    """Two daphne processes on one database and the Redis layer, the agent streaming two runners
    into process A, and the coach's login cookie."""
    db = tmp_path / "db.sqlite3"
    token = prepare_demo(db).token
    redis = os.environ["REDIS_URL"]
    port_a, port_b = free_port(), free_port()
    server_a, server_b = start_server(db, port_a, redis), start_server(db, port_b, redis)
    await asyncio.to_thread(wait_until_running, 40)  # strides from the start, not after a break
    agent = start_agent(port_a, token, tmp_path / "spool.sqlite3", "--runners", "2", "--seconds", "60")
    cookie = await asyncio.to_thread(login_cookie, db, "coach")
    yield SimpleNamespace(port_b=port_b, server_a=server_a, agent=agent, cookie=cookie)
    for process in (agent, server_a, server_b):
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


async def _tablet(port: int, cookie: str):
    """A tablet subscribed to the demo squad on the process at `port`, and its backfill."""
    tablet = await websockets.connect(f"ws://127.0.0.1:{port}/ws/live/", origin=f"http://127.0.0.1:{port}",
                                      additional_headers={"Cookie": f"sessionid={cookie}"})
    await tablet.send(json.dumps({"subscribe": "squad", "id": 1}))
    assert json.loads(await tablet.recv())["type"] == "subscribed"
    return tablet, json.loads(await tablet.recv())


async def test_a_tablet_on_process_b_sees_strides_ingested_on_process_a(two_processes):
    strides, statuses = [], []
    tablet, backfill = await _tablet(two_processes.port_b, two_processes.cookie)
    assert backfill["type"] == "backfill"
    async with tablet, asyncio.timeout(40):
        while len(strides) < 10:
            message = json.loads(await tablet.recv())
            if message["type"] == "tick":
                strides += [e for e in message["events"] if e["kind"] == "stride"]
                statuses += [e for e in message["events"] if e["kind"] == "status"]
    assert {s["runner"] for s in strides} <= {1, 2, 3, 4, 5, 6, 7, 8}
    assert all(s["stride"]["kickback_deg"] > 60 for s in strides)
    assert all(s["status"] in ("streaming", "leggings disconnected", "station offline") for s in statuses)


async def test_two_installations_on_one_redis_do_not_hear_each_other():
    """INSTALLATION_NAME prefixes every group and channel: a message sent to a group by one
    installation never reaches the same group of another on the same Redis."""
    from channels_redis.pubsub import RedisPubSubChannelLayer
    from django.conf import settings

    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] == settings.INSTALLATION_NAME
    hosts = [os.environ["REDIS_URL"]]
    ours, theirs, ours_too = (RedisPubSubChannelLayer(hosts=hosts, prefix=name)
                              for name in ("club-a", "club-b", "club-a"))
    try:
        board = await ours.new_channel()
        await ours.group_add("squad-1", board)
        await theirs.group_send("squad-1", {"type": "tick", "from": "club-b"})
        await ours_too.group_send("squad-1", {"type": "tick", "from": "club-a"})
        async with asyncio.timeout(5):
            assert (await ours.receive(board))["from"] == "club-a"
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1):
                await ours.receive(board)
    finally:
        for layer in (ours, theirs, ours_too):
            await layer.flush()



async def test_a_station_whose_process_dies_goes_offline_on_the_other_process(two_processes):
    """Presence is not one process's memory: the station's process dies with it (no goodbye); the
    board on the other process stops hearing it at once, and a board opened there later reads
    "station offline" (from the database) instead of a runner streaming."""
    heard: list[tuple[float, dict]] = []
    tablet, _ = await _tablet(two_processes.port_b, two_processes.cookie)
    async with asyncio.timeout(30):
        while len(heard) < 3:
            message = json.loads(await tablet.recv())
            if message["type"] == "presence":
                heard.append((time.monotonic(), message))
    assert heard[-1][1]["name"] == "Demo trackside station" and len(heard[-1][1]["runners"]) == 2
    for process in (two_processes.agent, two_processes.server_a):  # the station's process dies, and
        process.send_signal(signal.SIGKILL)                          # the agent with it
    killed = time.monotonic()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(6):
            while True:
                message = json.loads(await tablet.recv())
                if message["type"] == "presence":
                    heard.append((time.monotonic(), message))
    assert heard[-1][0] < killed + 1.5  # nothing more from the dead station
    await tablet.close()
    later, backfill = await _tablet(two_processes.port_b, two_processes.cookie)
    await later.close()
    statuses = {runner["runner"]: runner["status"] for runner in backfill["runners"]}
    streamed = set(heard[-1][1]["runners"])
    assert {statuses[r] for r in streamed} == {"station offline"}
    assert {runner["station"]["name"] for runner in backfill["runners"] if runner["runner"] in streamed} == {
        "Demo trackside station"}
