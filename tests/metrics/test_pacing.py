"""The live engine is fed only when a stride may complete (`metrics.core.pacing`): the same strides,
from a steady runner each in the same 100 ms frame as when every frame is fed, for far fewer
engine calls; samples never wait longer than HOLD_S, and nothing held is lost at the end."""

from unittest import mock

import numpy as np

from metrics.core import Body, StrideEngine, pacing
from metrics.core.pacing import PacedFeed
from tests.ingest.test_takeover import FRAME, _samples


def _by_frame(state: PacedFeed, values: np.ndarray, rate: int = 200) -> list[list]:
    """Per 100 ms frame, the strides (leg, start) it returned; then those released at the end."""
    t = np.arange(len(values)) / rate
    out = [[(s.leg, s.t_start) for s in state.take(t[k: k + FRAME], values[k: k + FRAME])]
           for k in range(0, len(values), FRAME)]
    return out + [[(s.leg, s.t_start) for s in state.release()]]


def _state() -> PacedFeed:
    return PacedFeed(StrideEngine(Body.from_height(1.75), sample_rate=200))


def test_a_steady_runners_strides_come_in_the_same_frame_for_far_fewer_engine_calls():
    _, _, values = _samples()
    every = _state()
    with mock.patch.object(pacing, "HOLD_S", 0.0):  # fed on every frame, as before
        reference = _by_frame(every, values)
    planned = _state()
    with mock.patch.object(planned.engine, "feed", wraps=planned.engine.feed) as feed:
        found = _by_frame(planned, values)
    frames = len(reference) - 1
    assert sum(found, []) == sum(reference, []) and len(sum(found, [])) > 60
    running = [k for k, strides in enumerate(reference) if strides][6:]  # once both legs have a rhythm
    assert all(found[k] == reference[k] for k in running)
    assert feed.call_count < 0.6 * frames


def test_samples_wait_at_most_hold_s_and_a_stopped_stream_releases_them():
    _, _, values = _samples()
    state = _state()
    t = np.arange(len(values)) / 200
    waited = 0.0
    for k in range(0, 3 * 200, FRAME):  # standing: no stride expected
        state.take(t[k: k + FRAME], values[k: k + FRAME])
        if state.held:
            waited = max(waited, t[k + FRAME - 1] - state.held[0][0][0])
    assert 0 < waited < pacing.HOLD_S
    for k in range(3 * 200, len(values) - 7, FRAME):  # the stream stops mid-run, frames of 7 samples left
        state.take(t[k: k + FRAME], values[k: k + FRAME])
    assert state.held
    released = state.release()
    assert not state.held and state.engine.feed(t[-1:] + 1, values[-1:]) == []
    assert isinstance(released, list)
