"""Streaming equals batch on any chunking, emits strides promptly, and stays small."""

import pytest

from metrics.core import StrideEngine, analyze
from metrics.core.engine import SCAN_SAMPLES
from metrics.simulator import Phase, SensorErrors, simulate, standard_session
from tests.metrics.helpers import body_of, recording_of


@pytest.fixture(scope="module")
def session():
    sim = simulate(standard_session(4.0, 45), sample_rate=200, seed=3,
                   errors=SensorErrors(packet_loss=0.03))
    return sim, recording_of(sim), body_of(sim)


def _stream(recording, body, sizes):
    engine, out, i, k = StrideEngine(body), [], 0, 0
    while i < len(recording.t):
        size = sizes[k % len(sizes)]
        out += engine.feed(recording.t[i: i + size], recording.imu[i: i + size])
        i, k = i + size, k + 1
    out += engine.finish()
    return sorted(out, key=lambda s: (s.leg, s.t_start))


@pytest.mark.parametrize("sizes", [[2], [20], [2000], [1, 7, 130, 3, 999]], ids=str)
def test_streaming_equals_batch(session, sizes):
    _, recording, body = session
    batch, _ = analyze(recording, body)
    assert len(batch) > 80
    assert [s.to_dict() for s in _stream(recording, body, sizes)] == [s.to_dict() for s in batch]


def test_streaming_equals_batch_across_many_pushes_and_scans():
    """Longer than the engine's batch pieces (PUSH_SAMPLES, SCAN_SAMPLES), with a lost stretch."""
    phases = [Phase("stand", 4.0), Phase("run", 200.0, 3.8), Phase("stand", 3.0), Phase("run", 140.0, 5.0)]
    sim = simulate(phases, sample_rate=200, seed=8, errors=SensorErrors(packet_loss=0.03))
    recording, body = recording_of(sim), body_of(sim)
    lost = (recording.t > 100.0) & (recording.t < 100.5)
    recording.t, recording.imu = recording.t[~lost], recording.imu[~lost]
    assert len(recording.t) > 2 * SCAN_SAMPLES
    batch, _ = analyze(recording, body)
    assert len(batch) > 500
    for sizes in ([4999], [1, 7, 130, 3, 999]):
        assert [s.to_dict() for s in _stream(recording, body, sizes)] == [s.to_dict() for s in batch]


def test_each_stride_is_emitted_right_after_its_end(session):
    _, recording, body = session
    engine = StrideEngine(body, sample_rate=200)
    step = 4  # 20 ms chunks, like BLE packets
    delays = []
    for i in range(0, len(recording.t), step):
        now = recording.t[min(i + step, len(recording.t)) - 1]
        for stride in engine.feed(recording.t[i: i + step], recording.imu[i: i + step]):
            delays.append(now - stride.t_end)
    assert len(delays) > 80
    assert max(delays) <= 0.25


def test_memory_stays_bounded_on_a_long_run():
    sim = simulate([Phase("stand", 3.0), Phase("run", 240.0, 3.5)], sample_rate=200, seed=4)
    recording, engine = recording_of(sim), StrideEngine(body_of(sim))
    sizes = []
    for i in range(0, len(recording.t), 1000):
        engine.feed(recording.t[i: i + 1000], recording.imu[i: i + 1000])
        sizes.append(engine._segment.held)
    assert max(sizes[10:]) < 200 * 20  # never more than ~20 s of samples held


def test_a_feed_that_ends_mid_swing_before_any_swing_ended_is_fine():
    """4-sample feeds of a run that starts straight away: the first scan holds mid-swing peaks but
    no sample where a swing ended yet (this used to raise IndexError on the live path)."""
    sim = simulate([Phase("stand", 5.0), Phase("run", 120, 3.5)], sample_rate=200, seed=9,
                   errors=SensorErrors(packet_loss=0.03))
    recording, body = recording_of(sim), body_of(sim)
    batch, _ = analyze(recording, body)
    assert [s.to_dict() for s in _stream(recording, body, [4])] == [s.to_dict() for s in batch]
