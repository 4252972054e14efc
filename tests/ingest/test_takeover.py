"""A process that takes over a live session (after a restart, or an agent moving to another
process) rebuilds its engine from the stored samples without showing the past again: strides
already stored are not returned for broadcast, and the strides after the takeover are those of
an uninterrupted run."""

import numpy as np

from ingest import live
from ingest.protocol.ble import lsb
from metrics.models import StrideRecord
from metrics.simulator import SENSORS, Phase, simulate
from sessions.models import RawChunk
from sessions.services import UPLOAD_RANGES, raw_chunks
from tests.factories import make_session

FRAME = 20


def _samples():
    sim = simulate([Phase("stand", 3.0), Phase("run", 30.0, 3.8)], sample_rate=200, seed=5)
    values = np.column_stack([sim.imu[s] for s in SENSORS])
    scale = lsb(*UPLOAD_RANGES)
    raw = np.clip(np.rint(values / scale), -32768, 32767).astype(np.int16)
    return np.arange(len(raw)), raw, raw * scale


def _feed(session, indices, raw, values, lo, hi):
    """What the ingest path does per frame: store its samples, feed the engine, store its strides."""
    shown = []
    for start in range(lo, hi, FRAME):
        part = slice(start, min(start + FRAME, hi))
        RawChunk.objects.bulk_create(raw_chunks(session, indices[part], raw[part]))
        strides = live.feed(session, indices[part], values[part])
        StrideRecord.store(session, strides, ignore_conflicts=True)
        shown += strides
    return shown


def test_a_takeover_shows_nothing_twice_and_loses_nothing(world):
    indices, raw, values = _samples()
    half = len(indices) // 2
    whole = make_session(world.alice, sample_rate_hz=200, clock_origin=0)
    uninterrupted = _feed(whole, indices, raw, values, 0, len(indices))
    live._engines.clear()

    session = make_session(world.arno, sample_rate_hz=200, clock_origin=0)
    before = _feed(session, indices, raw, values, 0, half)
    live._engines.clear()  # the process restarts; the agent reconnects to it (or to another)
    after = _feed(session, indices, raw, values, half, len(indices))
    live._engines.clear()

    key = lambda s: (s.leg, s.t_start)  # noqa: E731
    assert len(before) > 5 and len(after) > 5
    assert not {key(s) for s in before} & {key(s) for s in after}  # nothing shown twice
    assert sorted(map(key, before + after)) == sorted(map(key, uninterrupted))
    stored = set(session.strides.values_list("leg", "t_start"))
    assert stored == {key(s) for s in uninterrupted}
