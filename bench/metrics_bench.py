"""Metrics engine benchmark: accuracy over a grid of conditions, and speed. Prints figures.

    python bench/metrics_bench.py            # speed, full grid, off-grid conditions (~3 min)
    python bench/metrics_bench.py --quick    # a few corners

Accuracy is scored against the simulator's ground truth (tests/metrics/helpers.py):
stride recall/precision over steady running strides, RMSE and bias of kickback and
knee elevation. Speed is × real time for one runner on one core, batch and streaming.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from metrics.core import StrideEngine, analyze  # noqa: E402
from metrics.simulator import Phase, Runner, SensorErrors, simulate, standard_session  # noqa: E402
from tests.metrics.helpers import body_of, longest_gap_s, matches, recording_of, score  # noqa: E402


def accuracy_grid(quick: bool) -> None:
    speeds = [2.2, 3.5, 8.0] if quick else [2.2, 3.5, 5.0, 7.0, 9.0]
    rates = [100, 200]
    misalignments = [10.0] if quick else [0.0, 10.0]
    losses = [0.03] if quick else [0.0, 0.03]
    print("| speed m/s | Hz | misalign ° | loss | recall | precision | kickback RMSE (bias) ° "
          "| knee elev. RMSE (bias) ° | strides |")
    print("|---|---|---|---|---|---|---|---|---|")
    worst = {"recall": 1.0, "precision": 1.0, "kick": 0.0, "knee": 0.0}
    for speed, rate, mis, loss in itertools.product(speeds, rates, misalignments, losses):
        errors = SensorErrors(misalignment_deg=mis, packet_loss=loss, gyro_bias_dps=3.0)
        results = []
        for seed in (1, 2):
            sim = simulate(standard_session(speed, 90), sample_rate=rate, seed=seed, errors=errors)
            strides, _ = analyze(recording_of(sim), body_of(sim))
            results.append(score(sim, strides))
        recall = np.mean([r.recall for r in results])
        precision = np.mean([r.precision for r in results])
        kick = np.sqrt(np.mean([r.kickback_rmse**2 for r in results]))
        knee = np.sqrt(np.mean([r.knee_rmse**2 for r in results]))
        kick_bias = np.mean([r.kickback_bias for r in results])
        knee_bias = np.mean([r.knee_bias for r in results])
        worst = {"recall": min(worst["recall"], recall), "precision": min(worst["precision"], precision),
                 "kick": max(worst["kick"], kick), "knee": max(worst["knee"], knee)}
        print(f"| {speed} | {rate} | {mis:g} | {loss:.0%} | {recall:.4f} | {precision:.4f} "
              f"| {kick:.2f} ({kick_bias:+.2f}) | {knee:.2f} ({knee_bias:+.2f}) "
              f"| {sum(r.matched for r in results)} |")
    print(f"\nWorst over the grid: recall {worst['recall']:.4f}, precision {worst['precision']:.4f}, "
          f"kickback RMSE {worst['kick']:.2f}°, knee elevation RMSE {worst['knee']:.2f}°")


HARSH = SensorErrors(misalignment_deg=10.0, packet_loss=0.03, gyro_bias_dps=3.0)
OFF_GRID = [  # (name, sample rate, phases or running speed, runner, sensor errors); 3.5 m/s, 200 Hz unless said
    ("104 Hz", 104, 3.5, Runner(), HARSH), ("128 Hz", 128, 3.5, Runner(), HARSH),
    ("150 Hz", 150, 3.5, Runner(), HARSH), ("208 Hz", 208, 3.5, Runner(), HARSH),
    ("jog 2.0 m/s", 200, 2.0, Runner(), HARSH),
    ("runner 1.55 m", 200, 3.5, Runner(height_m=1.55), HARSH),
    ("runner 1.98 m", 200, 3.5, Runner(height_m=1.98), HARSH),
    ("kickback −20°", 200, 3.5, Runner(kickback_offset_deg=-20), HARSH),
    ("kickback +15°", 200, 3.5, Runner(kickback_offset_deg=15), HARSH),
    ("knee elevation −10°", 200, 3.5, Runner(knee_offset_deg=-10), HARSH),
    ("knee elevation +12°", 200, 3.5, Runner(knee_offset_deg=12), HARSH),
    ("twist ±20°", 200, 3.5, Runner(), dataclasses.replace(HARSH, long_axis_rotation_deg=20)),
    ("twist ±30°", 200, 3.5, Runner(), dataclasses.replace(HARSH, long_axis_rotation_deg=30)),
    ("twist ±45°", 200, 3.5, Runner(), dataclasses.replace(HARSH, long_axis_rotation_deg=45)),
    ("misalignment 15°", 200, 3.5, Runner(), dataclasses.replace(HARSH, misalignment_deg=15)),
    ("gyro bias 10 deg/s", 200, 3.5, Runner(), dataclasses.replace(HARSH, gyro_bias_dps=10)),
    ("noise ×4", 200, 3.5, Runner(), dataclasses.replace(HARSH, gyro_noise_dps=1.2, accel_noise_ms2=0.32)),
    ("impact 8 g", 200, 3.5, Runner(), dataclasses.replace(HARSH, impact_g=8)),
    ("loss 8 %", 200, 3.5, Runner(), dataclasses.replace(HARSH, packet_loss=0.08)),
    ("±16 g part, 7 m/s", 200, 7.0, Runner(), dataclasses.replace(HARSH, accel_range_g=16)),
    ("no standing, 3.5 m/s", 200, [Phase("run", 90, 3.5)], Runner(), HARSH),
    ("no standing, 8 m/s", 200, [Phase("run", 60, 8.0)], Runner(), HARSH),
]


def off_grid() -> None:
    """Conditions the grid does not vary: other rates, bodies, gait shapes and sensor errors."""
    print("\n| off the grid | recall | precision | kickback RMSE (bias) ° | knee elev. RMSE (bias) ° | strides |")
    print("|---|---|---|---|---|---|")
    for name, rate, run, runner, errors in OFF_GRID:
        phases = run if isinstance(run, list) else standard_session(run, 90)
        results = []
        for seed in (1, 2):
            sim = simulate(phases, sample_rate=rate, seed=seed, errors=errors, runner=runner)
            strides, _ = analyze(recording_of(sim), body_of(sim))
            results.append(score(sim, strides))
        kick = np.sqrt(np.mean([r.kickback_rmse**2 for r in results]))
        knee = np.sqrt(np.mean([r.knee_rmse**2 for r in results]))
        print(f"| {name} | {np.mean([r.recall for r in results]):.4f} "
              f"| {np.mean([r.precision for r in results]):.4f} "
              f"| {kick:.2f} ({np.mean([r.kickback_bias for r in results]):+.2f}) "
              f"| {knee:.2f} ({np.mean([r.knee_bias for r in results]):+.2f}) "
              f"| {sum(r.matched for r in results)} |")


def lost_runs(quick: bool) -> None:
    """SPEC §7: 3 % of notifications lost as runs of 8 consecutive instants (a non-interleaving
    device, or a radio fade): recall, precision, strides that contain a gap, the worst good stride,
    and how honest each stride's uncertainty is (rms of error ÷ uncertainty, 1 is honest)."""
    print("\n| speed m/s | Hz | recall | precision | gap strides | their kickback / knee RMSE ° "
          "| worst good stride ° | low-quality | error ÷ uncertainty (rms) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for speed, rate in itertools.product([3.5] if quick else [2.2, 3.5, 5.0, 7.0, 9.0], [100, 200]):
        errors = SensorErrors(misalignment_deg=10.0, packet_loss=0.03, gyro_bias_dps=3.0, samples_per_packet=8,
                              packet_interleave=1)
        rows, results = [], []
        for seed in (1, 2):
            sim = simulate(standard_session(speed, 90), sample_rate=rate, seed=seed, errors=errors)
            strides, _ = analyze(recording_of(sim), body_of(sim))
            results.append(score(sim, strides))
            pairs, _ = matches(sim, strides)
            rows += [(longest_gap_s(sim, t) > 0.02, s.kickback_deg - t.kickback_deg,
                      s.knee_elevation_deg - t.knee_elevation_deg, s.quality) for t, s in pairs]
        gap = [r for r in rows if r[0] and not r[3]["low"]]
        good = [r for r in rows if not r[3]["low"]]
        z = [(r[1] / r[3]["kickback_uncertainty_deg"]) ** 2 for r in rows]
        print(f"| {speed} | {rate} | {np.mean([r.recall for r in results]):.4f} "
              f"| {np.mean([r.precision for r in results]):.4f} | {len(gap)} "
              f"| {np.sqrt(np.mean([r[1] ** 2 for r in gap])):.2f} / {np.sqrt(np.mean([r[2] ** 2 for r in gap])):.2f} "
              f"| {max(max(abs(r[1]), abs(r[2])) for r in good):.1f} | {sum(r[3]['low'] for r in rows)} "
              f"| {np.sqrt(np.mean(z)):.2f} |")


def speed(minutes: float) -> None:
    sim = simulate([Phase("stand", 5.0), Phase("run", minutes * 60, 3.5)], sample_rate=200, seed=9,
                   errors=SensorErrors(packet_loss=0.03))
    recording, body = recording_of(sim), body_of(sim)
    duration = recording.t[-1] - recording.t[0]
    spent = []
    for _ in range(7):
        start = time.process_time()
        strides, _ = analyze(recording, body)
        spent.append(time.process_time() - start)
    best, median = min(spent), float(np.median(spent))
    print(f"\nBatch: {duration / 60:.0f} min at 200 Hz ({len(strides)} strides) in {best:.3f} s CPU "
          f"= {duration / best:,.0f}× real time (best of 7; median {duration / median:,.0f}×)")
    for chunk in (4, 40, 2000):  # 20 ms, 200 ms, 10 s
        engine = StrideEngine(body, sample_rate=200)
        start = time.process_time()
        for i in range(0, len(recording.t), chunk):
            engine.feed(recording.t[i: i + chunk], recording.imu[i: i + chunk])
        engine.finish()
        spent = time.process_time() - start
        print(f"Streaming in chunks of {chunk} samples ({chunk / 200 * 1000:.0f} ms): {spent:.3f} s CPU "
              f"= {duration / spent:,.0f}× real time")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args()
    print(f"numpy {np.__version__}, {os.cpu_count()} cores\n")
    speed(args.minutes)  # first, in a fresh process, as `analyze` runs
    accuracy_grid(args.quick)
    lost_runs(args.quick)
    if not args.quick:
        off_grid()
