"""What a gap costs: the error of a segment angle integrated across filled samples.

    python bench/gap_bench.py

The engine fills a run of lost samples with a cubic through the two samples on each side
(metrics/core/resample.py) and never trusts the fill: an angle carried across it gets the
variance measured here (metrics/core/anchors.py: FILL_RMS_DEG, FILL_IMPACT_RMS_DEG). On the
simulator with every sensor error off, runs of lost samples are cut out of the gyro every
few hundred milliseconds and the filled rate's integral across each run is compared with the
true one, by gap length, speed, rate, and whether the gap lies within 60 ms of a foot strike.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from metrics.core.resample import GridResampler  # noqa: E402
from metrics.simulator import SensorErrors, simulate, standard_session  # noqa: E402

NEAR_STRIKE_S = 0.06


def fill_errors(speed: float, rate: int, gap_ms: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Integral errors (deg) of the filled flexion rate across gaps away from / near a foot strike,
    thigh and shank pooled, and the mean stride time (s)."""
    quiet = SensorErrors(misalignment_deg=0, mount_shift_deg_per_hour=0, gyro_bias_dps=0,
                         gyro_drift_dps_per_hour=0, gyro_noise_dps=0, long_axis_rotation_deg=0)
    sim = simulate(standard_session(speed, 60), sample_rate=rate, seed=3, errors=quiet)
    t, n = sim.t, len(sim.t)
    lost = int(round(gap_ms / 1000 * rate))
    keep, gaps = np.ones(n, dtype=bool), []
    for first in range(300, n - 300, lost + 23):
        keep[first: first + lost] = False
        gaps.append(first)
    away, near = [], []
    for leg, segment in itertools.product(("left", "right"), ("thigh", "shank")):
        strikes = np.array([s.t_start for s in sim.strides if s.leg == leg and s.running])
        rates = sim.imu[f"{leg}_{segment}"]
        chunks = GridResampler(rate, max_gap_s=0.3).feed(t[keep], rates[keep], final=True)
        filled = np.concatenate([c.samples for c in chunks], axis=1)[5]
        true = rates[:, 5]
        for first in gaps:
            span = slice(first - 1, first + lost + 1)
            error = (np.trapezoid(filled[span]) - np.trapezoid(true[span])) / rate
            middle = t[first + lost // 2]
            close = len(strikes) and np.min(np.abs(strikes - middle)) < NEAR_STRIKE_S + gap_ms / 2000
            (near if close else away).append(error)
    stride_s = float(np.median([s.t_end - s.t_start for s in sim.strides if s.running]))
    return np.array(away), np.array(near), stride_s


def main() -> None:
    print("| speed m/s | Hz | gap ms | gap ÷ stride | rms away from a strike ° | rms at a strike ° "
          "| p99 at a strike ° |")
    print("|---|---|---|---|---|---|---|")
    for speed, rate, gap_ms in itertools.product((3.5, 7.0), (100, 200), (20, 40, 80, 160)):
        away, near, stride_s = fill_errors(speed, rate, gap_ms)
        print(f"| {speed} | {rate} | {gap_ms} | {gap_ms / 1000 / stride_s:.3f} "
              f"| {np.sqrt(np.mean(away**2)):.2f} | {np.sqrt(np.mean(near**2)):.2f} "
              f"| {np.quantile(np.abs(near), 0.99):.2f} |")


if __name__ == "__main__":
    main()
