"""A process that takes over a live session (after a restart, or an agent moving to another
process) rebuilds its engine from the stored samples without showing the past again: strides
already stored are not returned for broadcast, the strides after the takeover are those of
an uninterrupted run, and their numbers carry on where the old process stopped."""

import numpy as np

from ingest import live
from ingest.protocol.ble import lsb
from ingest.protocol.frames import SampleFrame
from ingest.services import DeviceIngest
from metrics.models import StrideRecord
from metrics.simulator import SENSORS, Phase, simulate
from sessions.models import RawChunk
from sessions.services import UPLOAD_RANGES, raw_chunks
from tests.factories import make_session, make_station

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
        strides = [stride for _, stride in live.feed(session, indices[part], values[part])]
        StrideRecord.store(session, strides, ignore_conflicts=True)
        shown += strides
    return shown


def test_a_takeover_shows_nothing_twice_and_loses_nothing(world):
    indices, raw, values = _samples()
    half = len(indices) // 2
    whole = make_session(world.alice, sample_rate_hz=200, clock_origin=0)
    uninterrupted = _feed(whole, indices, raw, values, 0, len(indices))
    live.forget()

    session = make_session(world.arno, sample_rate_hz=200, clock_origin=0)
    before = _feed(session, indices, raw, values, 0, half)
    live.forget()  # the process restarts; the agent reconnects to it (or to another)
    after = _feed(session, indices, raw, values, half, len(indices))
    live.forget()

    key = lambda s: (s.leg, s.t_start)  # noqa: E731
    assert len(before) > 5 and len(after) > 5
    assert not {key(s) for s in before} & {key(s) for s in after}  # nothing shown twice
    assert sorted(map(key, before + after)) == sorted(map(key, uninterrupted))
    stored = set(session.strides.values_list("leg", "t_start"))
    assert stored == {key(s) for s in uninterrupted}


def _frames(address, raw):
    return [SampleFrame(address, seq, start, 200, *UPLOAD_RANGES, np.arange(len(raw[start:start + FRAME]),
                                                                           dtype=np.uint16),
                        raw[start:start + FRAME]) for seq, start in enumerate(range(0, len(raw), FRAME))]


def _receive(device, frames):
    """Frames into a device as the ingest socket gives them: written once due."""
    numbered = []
    for frame in frames:
        numbered += device.receive(frame)[1]
        if len(device.pending) >= device.FLUSH_FRAMES:
            device.flush()
    return numbered


def test_strides_stored_by_a_process_that_died_before_storing_their_frames_are_not_shown_again(world):
    """The old process stored a frame's strides at once but its samples only in batches: it died
    with frames unwritten, so the agent resends them to the new process, whose engine completes
    those strides a second time. They are not returned again, and numbering carries on."""
    station, _ = make_station(world.coach_a)
    _, raw, _ = _samples()
    frames = _frames(world.leggings_a.ble_address, raw)
    old = DeviceIngest(station, world.leggings_a.ble_address)
    old.refresh()
    before = []
    for frame in frames:
        completed = old.receive(frame)[1]
        before += completed
        if completed and len(before) > 5:
            break  # this frame's strides are stored, the frame itself is not yet: the process dies
        if len(old.pending) >= old.FLUSH_FRAMES:
            old.flush()
    resend_from = old.next_seq - len(old.pending)
    live.forget()

    new = DeviceIngest(station, world.leggings_a.ble_address)
    new.refresh()
    assert new.next_seq == resend_from  # what the agent is told to resend from
    after = _receive(new, frames[resend_from:])
    new.flush()
    live.forget()

    numbers = [n for n, _ in before + after]
    assert numbers == list(range(1, len(numbers) + 1))  # no number twice, none skipped
    shown = [(s.leg, s.t_start) for _, s in before + after]
    assert len(shown) == len(set(shown))
    session = world.leggings_a.sessions.get()
    assert set(shown) == set(session.strides.values_list("leg", "t_start"))
    assert len(before) > 5 and len(after) > 5
