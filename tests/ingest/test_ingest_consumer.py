"""The ingest websocket: station-token auth (SPEC §8), dedup, raw storage, errors that harm nothing."""

import json
import zlib

import numpy as np
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from ingest.protocol import frames
from ingest.services import revoke_station
from sessions.models import RawChunk, RunSession
from stridesite.asgi import application
from tests.busy_thread import occupy_the_database_thread
from tests.factories import make_station

pytestmark = pytest.mark.django_db(transaction=True)


def _frame(address: str, seq: int, first: int, n: int = 20) -> bytes:
    raw = np.random.default_rng(seq).integers(-3000, 3000, (n, 24), dtype=np.int16)
    offsets = np.arange(n, dtype=np.uint16)
    return frames.encode(frames.SampleFrame(address, seq, first, 200, 32, 2000, offsets, raw))


async def _acks_until(communicator, address: str, seq: int) -> int:
    """Read replies until the ack for `address` reaches `seq` (frames are written in batches)."""
    last = -1
    while last < seq:
        last = json.loads(await communicator.receive_from(timeout=3))["ack"].get(address, last)
    return last


async def _connect(token: str | None):
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    communicator = WebsocketCommunicator(application, "/ws/ingest/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.fixture
def station(world):
    station, token = make_station(world.coach_a)
    return station, token


async def test_no_token_or_a_wrong_token_is_refused(world):
    for token in (None, "not-a-token"):
        communicator, connected, _ = await _connect(token)
        assert not connected


async def test_a_revoked_token_is_refused(world, station):
    instance, token = station
    await database_sync_to_async(instance.revoke)()
    _, connected, _ = await _connect(token)
    assert not connected


async def test_hello_lists_only_the_stations_leggings(world, station):
    communicator, connected, _ = await _connect(station[1])
    assert connected
    hello = json.loads(await communicator.receive_from())["hello"]
    assert [item["ble_address"] for item in hello["leggings"]] == [world.leggings_a.ble_address]
    assert hello["leggings"][0]["next_seq"] == 0
    await communicator.disconnect()


async def test_frames_are_stored_once_and_acked(world, station):
    communicator, _, _ = await _connect(station[1])
    await communicator.receive_from()
    address = world.leggings_a.ble_address
    for seq, first in ((0, 100), (1, 120), (1, 120), (0, 100), (2, 140)):
        await communicator.send_to(bytes_data=_frame(address, seq, first))
    assert await _acks_until(communicator, address, 2) == 2  # written in one batch, acknowledged once
    await communicator.send_to(bytes_data=_frame(address, 1, 120))  # a replay after the write
    assert json.loads(await communicator.receive_from())["ack"][address] == 2
    chunks = await database_sync_to_async(lambda: list(RawChunk.objects.order_by("first_index")))()
    assert [c.first_index for c in chunks] == [100, 120, 140]
    stored = np.frombuffer(zlib.decompress(bytes(chunks[1].samples)), dtype="<i2").reshape(-1, 24)
    assert np.array_equal(stored, frames.decode(_frame(address, 1, 120)).raw)
    await communicator.disconnect()
    session = await database_sync_to_async(RunSession.objects.get)(clock_origin__isnull=False)
    assert session.runner_id == world.alice.pk and session.status == "live"
    assert session.clock_origin == 100 and session.last_index == 159


async def test_a_gap_is_not_stored_and_the_ack_asks_for_a_resend(world, station):
    communicator, _, _ = await _connect(station[1])
    await communicator.receive_from()
    address = world.leggings_a.ble_address
    await communicator.send_to(bytes_data=_frame(address, 5, 100))
    assert json.loads(await communicator.receive_from())["ack"][address] == -1
    assert not await database_sync_to_async(RawChunk.objects.exists)()
    await communicator.disconnect()


async def test_another_coachs_leggings_are_refused_and_nothing_is_stored(world, station):
    communicator, _, _ = await _connect(station[1])
    await communicator.receive_from()
    await communicator.send_to(bytes_data=_frame(world.leggings_b.ble_address, 0, 100))
    assert "not leggings of this station" in json.loads(await communicator.receive_from())["error"]
    assert not await database_sync_to_async(RawChunk.objects.exists)()
    await communicator.disconnect()


async def test_malformed_frames_get_an_error_and_the_connection_lives_on(world, station):
    communicator, _, _ = await _connect(station[1])
    await communicator.receive_from()
    address = world.leggings_a.ble_address
    await communicator.send_to(bytes_data=_frame(address, 0, 100))
    await _acks_until(communicator, address, 0)
    for bad in (b"junk", _frame(address, 1, 120)[:-7], b"\0" * (frames.MAX_FRAME_BYTES + 10)):
        await communicator.send_to(bytes_data=bad)
        assert "error" in json.loads(await communicator.receive_from())
    await communicator.send_to(text_data="hello?")
    assert "binary" in json.loads(await communicator.receive_from())["error"]
    await communicator.send_to(bytes_data=_frame(address, 1, 120))
    assert await _acks_until(communicator, address, 1) == 1
    assert await database_sync_to_async(RawChunk.objects.count)() == 2
    await communicator.disconnect()


async def test_revoking_the_token_closes_open_sockets(world, station):
    instance, token = station
    communicator, _, _ = await _connect(token)
    await communicator.receive_from()
    await database_sync_to_async(revoke_station)(instance)
    output = await communicator.receive_output(timeout=2)
    assert output["type"] == "websocket.close" and output["code"] == 4403


async def test_a_station_never_writes_for_another_coachs_leggings_of_a_shared_runner(world, station):
    """Alice runs in coach A's and coach B's squads and wears coach A's leggings. Coach B's station
    is not offered them, its frames are refused, and it cannot move their cursor: coach A's own
    frames are then stored, not acknowledged as duplicates (SPEC §8: its owner's leggings only)."""
    from ingest.models import IngestCursor
    from tests.factories import make_station

    await database_sync_to_async(world.squad_b.members.add)(world.alice)
    _, token_b = await database_sync_to_async(make_station)(world.coach_b)
    intruder, _, _ = await _connect(token_b)
    hello = json.loads(await intruder.receive_from())["hello"]
    address = world.leggings_a.ble_address
    assert address not in [item["ble_address"] for item in hello["leggings"]]
    for seq in range(3):
        await intruder.send_to(bytes_data=_frame(address, seq, 100 + 20 * seq))
        assert "not leggings of this station" in json.loads(await intruder.receive_from())["error"]
    await intruder.disconnect()
    cursor = await database_sync_to_async(IngestCursor.objects.filter(leggings=world.leggings_a).first)()
    assert cursor is None or cursor.next_seq == 0
    assert not await database_sync_to_async(RawChunk.objects.exists)()
    owner, _, _ = await _connect(station[1])
    await owner.receive_from()
    for seq in range(3):
        await owner.send_to(bytes_data=_frame(address, seq, 100 + 20 * seq))
    assert await _acks_until(owner, address, 2) == 2
    assert await database_sync_to_async(RawChunk.objects.count)() == 3
    await owner.disconnect()


async def test_a_pair_also_registered_by_another_account_streams_into_its_owners_record(world, station):
    """Arno registered coach A's pair (serial and address) as his own first: coach A's station
    still streams it into coach A's record, the one Alice wears; Arno's record stays empty."""
    from ingest.models import IngestCursor, Leggings

    pair = world.leggings_a
    squatted = await database_sync_to_async(Leggings.objects.create)(
        serial=pair.serial, ble_name=pair.ble_name, ble_address=pair.ble_address, owner=world.arno.user,
        runner=world.arno)
    owner, _, _ = await _connect(station[1])
    await owner.receive_from()
    for seq in range(3):
        await owner.send_to(bytes_data=_frame(pair.ble_address, seq, 100 + 20 * seq))
    assert await _acks_until(owner, pair.ble_address, 2) == 2
    await owner.disconnect()
    streamed = RunSession.objects.filter(leggings__isnull=False).values_list("leggings", "runner")
    stored = database_sync_to_async(lambda: list(streamed))
    assert await stored() == [(pair.pk, world.alice.pk)]
    assert not await database_sync_to_async(IngestCursor.objects.filter(leggings=squatted).exists)()


async def test_a_flood_of_garbage_closes_that_socket_and_no_other(world, station):
    from stridesite.ws_budget import CLOSE_OVER_BUDGET

    flooder, _, _ = await _connect(station[1])
    await flooder.receive_from()
    honest, _, _ = await _connect(station[1])
    await honest.receive_from()
    for _ in range(400):
        await flooder.send_to(bytes_data=b"junk" * 50)
    closed = None
    for _ in range(500):
        output = await flooder.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            closed = output["code"]
            break
    assert closed == CLOSE_OVER_BUDGET
    address = world.leggings_a.ble_address
    await honest.send_to(bytes_data=_frame(address, 0, 100))
    assert await _acks_until(honest, address, 0) == 0
    await honest.disconnect()


async def test_a_run_ends_only_on_the_station_that_streams_it(world, station):
    """`{"end": [...]}` closes the leggings' live session when it streams through this station;
    another station of the same coach, or one of another coach, cannot end it."""
    address = world.leggings_a.ble_address
    ours, _, _ = await _connect(station[1])
    await ours.receive_from()
    await ours.send_to(bytes_data=_frame(address, 0, 100))
    await ours.send_to(bytes_data=_frame(address, 1, 120))
    for coach in (world.coach_a, world.coach_b):
        _, other_token = await database_sync_to_async(make_station)(coach)
        other, _, _ = await _connect(other_token)
        await other.receive_from()
        await other.send_to(text_data=json.dumps({"end": [address, 7, None]}))
        reply = json.loads(await other.receive_from())
        while "ended" not in reply:
            reply = json.loads(await other.receive_from())
        await other.disconnect()
    live = await database_sync_to_async(lambda: list(RunSession.objects.values_list("status", flat=True)
                                                      .filter(leggings=world.leggings_a)))()
    assert live == ["live"]
    await ours.send_to(text_data=json.dumps({"end": [address]}))
    reply = json.loads(await ours.receive_from())
    while "ended" not in reply:
        reply = json.loads(await ours.receive_from())
    assert reply == {"ended": [address]}
    done = await database_sync_to_async(lambda: list(RunSession.objects.values_list("status", flat=True)
                                                      .filter(leggings=world.leggings_a)))()
    assert done == ["done"]
    await ours.disconnect()


async def test_a_frame_is_answered_while_the_database_thread_is_busy(world, station):
    """A frame's handling no longer waits for the database thread before it starts (channels'
    dispatch hopped there for every message): a malformed one is refused at once even while
    that thread is held (stridesite/ws_dispatch.py)."""
    communicator, _, _ = await _connect(station[1])
    await communicator.receive_from()  # hello
    busy, release = await occupy_the_database_thread()
    try:
        await communicator.send_to(bytes_data=b"junk")
        assert "error" in json.loads(await communicator.receive_from(timeout=2))
    finally:
        release.set()
        await busy
    await communicator.disconnect()
