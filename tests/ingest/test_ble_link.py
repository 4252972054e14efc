"""bleak's real BlueZ backend against an emulated BlueZ: scan, connect, 200 Hz notifications,
a device-initiated drop mid-stream, reconnect — through the agent's own BLE layer and framer."""

import asyncio
import os
import shutil

import numpy as np
import pytest

from ingest.agent.ble_link import LinkState, keep_streaming, scan
from ingest.agent.framer import Framer, commit
from ingest.agent.spool import Spool
from ingest.protocol import frames
from tests.ingest.fake_bluez import FakeBlueZ, start_bus, use_bus

pytestmark = pytest.mark.skipif(not shutil.which("dbus-daemon"),
                                reason="dbus-daemon missing (apt-get install dbus)")
ADDRESS = "5A:1D:E0:00:00:01"


@pytest.fixture
def bus(tmp_path, monkeypatch):
    daemon, address = start_bus(tmp_path)
    previous = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
    use_bus(address)
    yield address
    daemon.terminate()
    daemon.wait(timeout=5)
    if previous is None:
        os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
    else:
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = previous


async def test_scan_finds_leggings_with_rssi_and_battery(bus):
    bluez = FakeBlueZ(bus)
    await bluez.start([(ADDRESS, "StrideSite-0001"), ("5A:1D:E0:00:00:02", "StrideSite-0002")])
    try:
        seen = await scan(1.0)
    finally:
        bluez.stop()
    assert [s.name for s in seen] == ["StrideSite-0001", "StrideSite-0002"]
    assert seen[0].rssi == -58 and seen[0].battery == 87


async def test_stream_survives_a_device_drop_and_loses_nothing_it_received(bus, tmp_path):
    bluez = FakeBlueZ(bus)
    await bluez.start([(ADDRESS, "StrideSite-0001")])
    leggings = bluez.leggings[0]
    leggings.drop_after = 300  # the device ends the link mid-stream after 300 notifications
    spool = Spool(tmp_path / "spool.sqlite3")
    framer = Framer(ADDRESS, spool)
    state = LinkState()
    task = asyncio.create_task(keep_streaming(ADDRESS, framer.on_notification, state,
                                              on_drop=framer.flush))
    try:
        for _ in range(150):  # up to 15 s
            await asyncio.sleep(0.1)
            if leggings.connects >= 2 and framer.stats.notifications >= 500:
                break
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        bluez.stop()
    framer.flush()
    commit(spool, [framer])
    assert leggings.connects >= 2 and state.reconnects >= 1
    assert state.battery == 87
    assert framer.stats.bad_packets == 0
    received = framer.stats.notifications
    assert received >= 500
    stored = [frames.decode(p) for _, _, p in spool.pending(ADDRESS, limit=100_000)]
    indices = np.concatenate([f.indices for f in stored])
    assert len(indices) == 4 * received == len(np.unique(indices))  # every instant received, once
    raw = np.concatenate([f.raw for f in stored])
    expected = leggings.source._loop[indices % len(leggings.source._loop)]
    assert np.array_equal(raw, expected)


def test_leggings_are_spread_over_the_adapters_up_to_each_ones_limit():
    from ingest.agent.ble_link import assign_adapters

    pairs = [f"5A:1D:E0:00:00:{n:02X}" for n in range(1, 8)]
    assigned = assign_adapters(pairs, ["hci0", "hci1"], per_adapter=3)
    assert [assigned[p] for p in pairs] == ["hci0", "hci1"] * 3 + [None]  # the seventh: no room


async def test_two_adapters_each_link_their_own_leggings(bus):
    from ingest.agent.ble_link import assign_adapters

    second = "5A:1D:E0:00:00:02"
    bluez = FakeBlueZ(bus)
    await bluez.start([(ADDRESS, "StrideSite-0001"), (second, "StrideSite-0002")], adapters=("hci0", "hci1"))
    assigned = assign_adapters([ADDRESS, second], ["hci0", "hci1"], per_adapter=1)
    received = {ADDRESS: [], second: []}
    tasks = [asyncio.create_task(keep_streaming(address, received[address].append, LinkState(),
                                                adapter=assigned[address])) for address in received]
    try:
        for _ in range(100):
            await asyncio.sleep(0.1)
            if all(len(r) > 20 for r in received.values()):
                break
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        bluez.stop()
    assert all(len(r) > 20 for r in received.values())
    links = {(view.adapter, view.address): view.connects for view in bluez.leggings}
    assert links == {("hci0", ADDRESS): 1, ("hci0", second): 0, ("hci1", ADDRESS): 0, ("hci1", second): 1}
