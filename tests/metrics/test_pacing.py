"""The live engine is fed only where a stride may be confirmed (`metrics.core.pacing`): the same
strides, from a steady runner each in the same 100 ms frame as when every frame is fed, for far
fewer engine calls; samples never wait longer than HOLD_S, and nothing held is lost at the end."""

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


def test_every_stride_comes_in_the_same_frame_for_far_fewer_engine_calls():
    _, _, values = _samples()
    every = _state()
    with mock.patch.object(pacing, "HOLD_S", 0.0):  # fed on every frame, as before
        reference = _by_frame(every, values)
    planned = _state()
    with mock.patch.object(planned.engine, "feed", wraps=planned.engine.feed) as feed:
        found = _by_frame(planned, values)
    frames = len(reference) - 1
    assert sum(found, []) == sum(reference, []) and len(sum(found, [])) > 60
    assert found == reference  # every stride in the frame that completes it, from the first on
    assert feed.call_count < 0.45 * frames  # a stride ends ~3 times a second: ~4 calls for 10 frames


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
    came, k = [], 3 * 200
    while not (state.held and came):  # running: stop the stream with samples held
        came += state.take(t[k: k + FRAME], values[k: k + FRAME])
        k += FRAME
    came += state.release()
    assert not state.held
    whole = StrideEngine(Body.from_height(1.75), sample_rate=200).feed(t[:k], values[:k])
    assert [(s.leg, s.t_start) for s in came] == [(s.leg, s.t_start) for s in whole] and came
