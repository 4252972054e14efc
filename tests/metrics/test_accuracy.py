"""Stride detection and angle accuracy across speeds, rates and sensor errors (SPEC §7 bars).

The full grid with figures is `bench/metrics_bench.py`; here a few corners, so a
regression fails the suite.
"""

import pytest

from metrics.simulator import SensorErrors
from tests.metrics.helpers import run_and_score

HARSH = SensorErrors(misalignment_deg=10, gyro_bias_dps=3, packet_loss=0.03)


@pytest.mark.parametrize(
    "speed,rate,errors",
    [
        (2.2, 100, HARSH),
        (3.5, 200, HARSH),
        (5.0, 100, SensorErrors(packet_loss=0.03)),
        (8.0, 200, HARSH),
        # Off the benchmark grid: a part with a large gyro bias, a noisy part, an odd rate.
        (3.5, 200, SensorErrors(misalignment_deg=10, gyro_bias_dps=10, packet_loss=0.03)),
        (3.5, 200, SensorErrors(misalignment_deg=10, gyro_noise_dps=1.2, accel_noise_ms2=0.32)),
        (4.5, 104, HARSH),
        # Twist in step with the stride, ±45° (≈ 280 deg/s rms about the long axis, SPEC §3).
        (3.5, 200, SensorErrors(misalignment_deg=10, gyro_bias_dps=3, long_axis_rotation_deg=45)),
    ],
    ids=["jog-100Hz", "steady-200Hz", "fast-100Hz", "sprint-200Hz", "bias-10dps", "noise-x4", "104Hz",
         "twist-45deg"],
)
def test_strides_and_angles_meet_the_bars(speed, rate, errors):
    result = run_and_score(speed, sample_rate=rate, errors=errors, seed=11)
    assert result.matched > 60
    assert result.recall >= 0.99
    assert result.precision >= 0.99
    assert result.kickback_rmse <= 2.0
    assert result.knee_rmse <= 2.0
