"""What a gap costs: the error of a segment angle integrated across filled samples.

    python bench/gap_bench.py [--biomac PATH]

The engine fills a run of lost samples from the runner's previous stride (one or two lost
instants with a cubic; metrics/core/resample.py) and never trusts the fill: an angle carried
across it gets the variance measured here (metrics/core/anchors.py: FILL_RMS_DEG,
FILL_IMPACT_RMS_DEG). Runs of lost samples are cut out of the gyro about once a stride (as
3 % of notifications lost in runs of 8 does; denser cuts would leave the fill no clean
stride to copy) and the filled rate's integral across each run is compared with the true
one, by gap length, rate, and whether the gap lies within 60 ms of a foot strike: on the
simulator with every sensor error off, and on real running kinematics through the forward
IMU model (bench/real_kinematics.py; PATH as there) — the engine takes the larger figures.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from metrics.core.resample import GridResampler  # noqa: E402
from metrics.simulator import SensorErrors, simulate, standard_session  # noqa: E402

NEAR_STRIKE_S = 0.06


def fill_errors(t: np.ndarray, rates: np.ndarray, strikes: np.ndarray, rate: int,
                gap_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Integral errors (deg) of the filled flexion rate (`rates`: (n, 6) gyro, flexion last)
    across gaps cut 0.9–1.4 s apart (four passes, shifted), away from / near a foot strike."""
    n = len(t)
    lost = int(round(gap_ms / 1000 * rate))
    rng = np.random.default_rng(gap_ms + rate)
    true = rates[:, 5]
    away, near = [], []
    for shift in range(4):
        keep, gaps = np.ones(n, dtype=bool), []
        first = int((1.7 + 0.3 * shift) * rate)
        while first < n - int(0.2 * rate):
            keep[first: first + lost] = False
            gaps.append(first)
            first += int(rng.integers(int(0.9 * rate), int(1.4 * rate)))
        chunks = GridResampler(rate, max_gap_s=0.3).feed(t[keep], rates[keep], final=True)
        filled = np.concatenate([c.samples for c in chunks], axis=1)[5]
        for first in gaps:
            span = slice(first - 1, first + lost + 1)
            error = (np.trapezoid(filled[span]) - np.trapezoid(true[span])) / rate
            close = np.min(np.abs(strikes - t[first + lost // 2])) < NEAR_STRIKE_S + gap_ms / 2000
            (near if close else away).append(error)
    return np.array(away), np.array(near)


def simulated(speed: float, rate: int, gap_ms: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Fill errors on the simulator, thigh and shank pooled, and the mean stride time (s)."""
    quiet = SensorErrors(misalignment_deg=0, mount_shift_deg_per_hour=0, gyro_bias_dps=0,
                         gyro_drift_dps_per_hour=0, gyro_noise_dps=0, long_axis_rotation_deg=0)
    sim = simulate(standard_session(speed, 120), sample_rate=rate, seed=3, errors=quiet)
    away, near = [], []
    for leg, segment in itertools.product(("left", "right"), ("thigh", "shank")):
        strikes = np.array([s.t_start for s in sim.strides if s.leg == leg and s.running])
        a, b = fill_errors(sim.t, sim.imu[f"{leg}_{segment}"], strikes, rate, gap_ms)
        away.append(a)
        near.append(b)
    stride_s = float(np.median([s.t_end - s.t_start for s in sim.strides if s.running]))
    return np.concatenate(away), np.concatenate(near), stride_s


def real(cycle, rate: int, gap_ms: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Fill errors on real kinematics (60 varied strides through the forward IMU model)."""
    from metrics.imu_model import Body3D, Placement, SoftTissue, imu_signals, resample_cycle, vary

    strides = vary(cycle, 60, 1)
    imu = resample_cycle(imu_signals(strides, Body3D(), Placement(), SoftTissue()),
                         int(round(strides.duration * rate)))
    t = np.arange(len(imu)) / rate
    away, near = [], []
    for column, side in ((0, "left"), (6, "left"), (12, "right"), (18, "right")):
        a, b = fill_errors(t, imu[:, column: column + 6], strides.foot_strikes[side], rate, gap_ms)
        away.append(a)
        near.append(b)
    return np.concatenate(away), np.concatenate(near), strides.duration / 60


def row(label: str, rate: int, gap_ms: int, away: np.ndarray, near: np.ndarray, stride_s: float) -> str:
    return (f"| {label} | {rate} | {gap_ms} | {gap_ms / 1000 / stride_s:.3f} | {np.sqrt(np.mean(away**2)):.2f} "
            f"| {np.sqrt(np.mean(near**2)):.2f} | {np.quantile(np.abs(near), 0.99):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--biomac", help="clone or bare git directory of BioMAC-Sim-Toolbox")
    parser.add_argument("--simulator-only", action="store_true")
    args = parser.parse_args()
    print("| kinematics | Hz | gap ms | gap ÷ stride | rms away from a strike ° | rms at a strike ° "
          "| p99 at a strike ° |")
    print("|---|---|---|---|---|---|---|")
    for speed, rate, gap_ms in itertools.product((3.5, 7.0), (100, 200), (20, 40, 80, 160)):
        print(row(f"simulator {speed} m/s", rate, gap_ms, *simulated(speed, rate, gap_ms)))
    if args.simulator_only:
        return
    import real_kinematics

    paths = real_kinematics.fetch(args.biomac)
    cycles = {"running_3D": real_kinematics.running_3d(paths["running_3D"])}
    cycles |= {f"RBDS00{i}": real_kinematics.rbds(paths[f"RBDS00{i}runT35"]) for i in (1, 2, 3)}
    for rate, gap_ms in itertools.product((100, 200), (40, 80, 160)):
        pooled = [real(cycle, rate, gap_ms) for cycle in cycles.values()]
        for (name, _), result in zip(cycles.items(), pooled, strict=True):
            print(row(name, rate, gap_ms, *result))
        away, near = (np.concatenate([p[i] for p in pooled]) for i in (0, 1))
        print(row("**all four, pooled**", rate, gap_ms, away, near, float(np.mean([p[2] for p in pooled]))))


if __name__ == "__main__":
    main()
