"""Bad samples never crash the engine: they are dropped or their strides skipped, with a reason."""

import numpy as np
import pytest

from metrics.core import StrideEngine, analyze
from metrics.core.recording import Recording
from metrics.simulator import Phase, simulate
from tests.metrics.helpers import body_of, recording_of


@pytest.fixture(scope="module")
def clean():
    sim = simulate([Phase("stand", 3.0), Phase("run", 30.0, 3.5)], sample_rate=200, seed=8)
    recording = recording_of(sim)
    strides, _ = analyze(recording, body_of(sim))
    return sim, recording, strides


def _analyze(sim, t, imu):
    return analyze(Recording(t, imu), body_of(sim))


def test_nan_rows_are_dropped_and_counted(clean):
    sim, rec, strides = clean
    imu = rec.imu.copy()
    imu[1000:1003, 5] = np.nan
    out, skipped = _analyze(sim, rec.t, imu)
    assert skipped["non_finite_rows"] == 3
    assert abs(len(out) - len(strides)) <= 1


def test_duplicated_and_backwards_timestamps_are_dropped(clean):
    sim, rec, strides = clean
    order = np.arange(len(rec.t))
    order = np.insert(order, 2000, [1990, 1991, 1999])  # replayed samples
    out, skipped = _analyze(sim, rec.t[order], rec.imu[order])
    assert skipped["non_monotonic_rows"] == 3
    assert [s.to_dict() for s in out] == [s.to_dict() for s in strides]


def test_a_dead_sensor_skips_that_legs_strides(clean):
    sim, rec, _ = clean
    imu = rec.imu.copy()
    imu[:, 6:12] = imu[0, 6:12]  # left shank frozen
    out, skipped = _analyze(sim, rec.t, imu)
    assert not [s for s in out if s.leg == "left"]
    assert len([s for s in out if s.leg == "right"]) > 15


def test_saturated_gyro_strides_are_skipped_with_a_reason(clean):
    sim, rec, strides = clean
    imu = rec.imu.copy()
    window = (rec.t > 15) & (rec.t < 17)
    imu[window, 23] = np.clip(imu[window, 23] * 4, -2000, 2000)  # right shank gz on its rail
    railed = rec.t[np.abs(imu[:, 23]) >= 2000]
    out, skipped = _analyze(sim, rec.t, imu)
    assert skipped["saturated"] >= 2
    assert not [s for s in out if s.leg == "right" and ((railed >= s.t_start) & (railed <= s.t_end)).any()]
    assert len(out) >= len(strides) - 5


def test_no_stride_is_invented_across_a_long_gap(clean):
    sim, rec, strides = clean
    keep = (rec.t < 20.0) | (rec.t > 20.6)
    out, skipped = _analyze(sim, rec.t[keep], rec.imu[keep])
    assert skipped["long_gaps"] == 1
    assert not [s for s in out if s.t_start < 20.6 and s.t_end > 20.0]
    assert len(out) >= len(strides) - 6


def test_wrong_shapes_are_a_clear_error():
    engine = StrideEngine(body=None)
    with pytest.raises(ValueError, match="expected t"):
        engine.feed(np.zeros(10), np.zeros((10, 12)))


def test_garbage_values_do_not_crash(clean):
    sim, rec, _ = clean
    rng = np.random.default_rng(0)
    imu = rec.imu.copy()
    imu[3000:3400] = rng.normal(0, 500, (400, 24))
    imu[5000:5010] = 1e9
    out, _ = _analyze(sim, rec.t, imu)
    assert all(np.isfinite(s.kickback_deg) for s in out)
