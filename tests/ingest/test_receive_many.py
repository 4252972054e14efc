"""A backlog of one leggings' frames handled together (`DeviceIngest.receive_many`): the same
strides with the same numbers as frame by frame, each frame's own result in place (duplicates
answered, refused frames refused), the engine fed once per run of frames."""

import time
from types import SimpleNamespace
from unittest import mock

import numpy as np
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ingest import live
from ingest.services import DeviceIngest, FrameRefused, close_socket, flush_together
from metrics.core import StrideEngine, pacing
from metrics.core.stride_cuts import StrideCuts
from metrics.core.zones import PACE_BANDS
from metrics.models import StrideRecord, ZoneOverride, body_of
from sessions.models import RawChunk
from tests.factories import make_leggings, make_station
from tests.ingest.test_takeover import _frames, _samples


def _strides(results):
    return [(number, stride.leg, stride.t_start, stride.kickback_deg)
            for result in results if not isinstance(result, FrameRefused) for number, stride in result[1]]


def _device(world, leggings):
    station, _ = make_station(world.coach_a)
    device = DeviceIngest(station, leggings.ble_address)
    device.refresh()
    return device


def test_frames_taken_together_give_the_strides_and_numbers_of_frames_taken_one_by_one(world):
    _, raw, _ = _samples()
    one_by_one = _device(world, world.leggings_a)
    frames = _frames(world.leggings_a.ble_address, raw)
    singly = [one_by_one.receive(frame) for frame in frames] + [(None, one_by_one.release(), None)]
    live.forget()

    other = make_leggings(world.coach_a, world.arno)
    together = _device(world, other)
    with mock.patch.object(live, "feed", wraps=live.feed) as feed:
        batched = [result for lo in range(0, len(frames), 8)
                   for result in together.receive_many(_frames(other.ble_address, raw)[lo: lo + 8])]
    assert feed.call_count == -(-len(frames) // 8)  # one call per batch of 8
    assert len(batched) == len(frames)
    batched.append((None, together.release(), None))  # the samples still held
    live.forget()

    assert _strides(batched) == _strides(singly)  # numbers, legs, times and kickbacks
    assert len(_strides(batched)) > 20


def test_a_duplicate_in_a_batch_is_answered_and_the_rest_still_taken(world):
    _, raw, _ = _samples()
    device = _device(world, world.leggings_a)
    frames = _frames(world.leggings_a.ble_address, raw)[:6]
    device.receive_many(frames[:3])
    device.flush()
    results = device.receive_many([frames[1], frames[3], frames[4]])
    live.forget()
    assert results[0] == (2, [], None)  # already stored up to seq 2: the agent is told so
    assert [r[2] is not None for r in results[1:]] == [True, True]
    assert device.next_seq == 5


def test_frames_of_leggings_without_a_runner_are_refused_in_a_batch(world):
    _, raw, _ = _samples()
    station, _ = make_station(world.coach_a)
    unworn = make_leggings(world.coach_a)
    results = DeviceIngest(station, unworn.ble_address).receive_many(_frames(unworn.ble_address, raw)[:2])
    assert [type(result) for result in results] == [FrameRefused, FrameRefused]


def test_a_closed_socket_stores_the_strides_its_engine_still_held(world):
    """The engine sees frames only when a stride may complete (metrics/core/pacing.py): when the
    station's socket closes (`close_socket`), what it held is fed, so every stride the samples
    complete is stored and handed to the boards."""
    _, raw, values = _samples()
    device = _device(world, world.leggings_a)
    sent = _frames(world.leggings_a.ble_address, raw)[:80]  # 3 s standing, 5 s running
    with mock.patch.object(pacing, "HOLD_S", 60.0), mock.patch.object(StrideCuts, "scan", return_value=[]):
        for frame in sent:  # the engine is never fed while the socket is open …
            assert device.receive(frame)[1] == []
    held = close_socket([device])  # … and the strides come when it closes
    live.forget()
    n = sum(len(frame.raw) for frame in sent)
    engine = StrideEngine(body_of(world.alice), sample_rate=200)
    expected = {(s.leg, round(s.t_start, 4)) for s in engine.feed(np.arange(n) / 200, values[:n])}
    stored = {(leg, round(t, 4)) for leg, t in StrideRecord.objects.values_list("leg", "t_start")}
    assert held and stored == expected
    assert device.next_seq == len(sent) and not device.pending  # and the frames written


def test_a_coachs_zone_change_reaches_every_live_engine_from_one_query(world):
    """Every ZONES_EVERY_S the live engines of this process read their runners' zones, all of them
    in one query: the changed runner's next strides are labelled by her new zones, the others' not."""
    _, raw, _ = _samples()
    alice, arno = _device(world, world.leggings_a), _device(world, make_leggings(world.coach_a, world.arno))
    frames = {device: _frames(device.address, raw) for device in (alice, arno)}
    half = len(frames[alice]) // 2
    for device in (alice, arno):
        device.receive_many(frames[device][:half])
    for band in PACE_BANDS:
        ZoneOverride.objects.create(runner=world.alice, band=band, metric="kickback", low=0, high=1)
    later = time.monotonic() + live.ZONES_EVERY_S + 1
    reads, zones = {}, {}
    with mock.patch.object(live, "time", SimpleNamespace(monotonic=lambda: later)):
        for device in (alice, arno):
            with CaptureQueriesContext(connection) as queries:
                results = device.receive_many(frames[device][half:])
            reads[device] = sum("zoneoverride" in query["sql"] for query in queries.captured_queries)
            zones[device] = {stride.zone["kickback"] for result in results for _, stride in result[1]}
    live.forget()
    assert reads == {alice: 1, arno: 0}  # alice's feed read both runners' zones
    assert zones[alice] == {"above"}
    assert "in" in zones[arno]


def test_a_stations_due_frames_go_in_one_commit_and_one_insert(world):
    """`flush_together`: every leggings' pending frames of a socket, written together."""
    _, raw, _ = _samples()
    station, _ = make_station(world.coach_a)
    devices = []
    for runner in (world.alice, world.arno):
        device = DeviceIngest(station, make_leggings(world.coach_a, runner).ble_address)
        device.refresh()
        device.receive_many(_frames(device.address, raw)[:3])
        devices.append(device)
    with CaptureQueriesContext(connection) as queries:
        acks = flush_together(devices)
    live.forget()
    assert acks == {device.address: 2 for device in devices}
    sql = [query["sql"] for query in queries.captured_queries]
    assert len([q for q in sql if q.startswith("INSERT") and "rawchunk" in q]) == 1
    assert RawChunk.objects.count() == 6
