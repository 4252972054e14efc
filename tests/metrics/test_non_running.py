"""Standing, walking, shuffling and stopping produce no running strides (SPEC §6)."""

import numpy as np

from metrics.core import analyze
from metrics.simulator import Phase, simulate
from tests.metrics.helpers import body_of, recording_of


def _strides(phases, seed=0):
    sim = simulate(phases, sample_rate=200, seed=seed)
    strides, skipped = analyze(recording_of(sim), body_of(sim))
    return strides, skipped


def test_standing_still_gives_nothing():
    strides, _ = _strides([Phase("stand", 30.0)])
    assert strides == []


def test_walking_gives_no_running_strides():
    strides, skipped = _strides([Phase("stand", 3.0), Phase("walk", 40.0, 1.4), Phase("stand", 3.0)])
    assert strides == []
    assert skipped["not_running"] > 20


def test_a_run_between_walks_counts_only_the_run():
    strides, _ = _strides([Phase("walk", 15.0, 1.4), Phase("run", 20.0, 3.2), Phase("walk", 15.0, 1.4)])
    starts = np.array([s.t_start for s in strides])
    assert len(strides) > 40
    assert starts.min() > 14.0 and starts.max() < 36.0
