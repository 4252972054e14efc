"""Simulated sessions and truth matching for the metrics tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metrics.core import Body, Recording, Stride, analyze
from metrics.simulator import SENSORS, SensorErrors, Simulation, TrueStride, simulate, standard_session

MATCH_S = 0.05  # a detected stride matches a true one when their ICs are this close


def recording_of(sim: Simulation) -> Recording:
    return Recording(sim.t.copy(), np.column_stack([sim.imu[s] for s in SENSORS]))


def body_of(sim: Simulation) -> Body:
    return Body.from_height(sim.runner.height_m)


@dataclass
class Score:
    recall: float
    precision: float
    kickback_rmse: float
    knee_rmse: float
    kickback_bias: float
    knee_bias: float
    matched: int


def matches(sim: Simulation, strides: list[Stride]) -> tuple[list[tuple[TrueStride, Stride]], int]:
    """(true, detected) pairs of running strides, and the number of detections matching no true stride
    (a walk/run transition stride counts neither way)."""
    pairs, false_positive = [], 0
    for leg in ("left", "right"):
        true_leg = [t for t in sim.strides if t.leg == leg]
        starts = np.array([t.t_start for t in true_leg])
        used = set()
        for s in (s for s in strides if s.leg == leg):
            i = int(np.argmin(np.abs(starts - s.t_start))) if len(starts) else -1
            if i < 0 or abs(starts[i] - s.t_start) > MATCH_S or i in used:
                false_positive += 1
                continue
            used.add(i)
            if true_leg[i].running:
                pairs.append((true_leg[i], s))
    return pairs, false_positive


def longest_gap_s(sim: Simulation, stride: TrueStride) -> float:
    """Longest stretch without a sample (beyond one sample step) in a true stride, from the rows kept."""
    lo, hi = np.searchsorted(sim.t, [stride.t_start, stride.t_end])
    steps = np.diff(sim.t[max(lo - 1, 0): hi + 1])
    return float(max(steps.max() - 1 / sim.sample_rate, 0.0)) if len(steps) else 0.0


def score(sim: Simulation, strides: list[Stride]) -> Score:
    """Recall/precision against steady running strides; transition strides count neither way."""
    pairs, false_positive = matches(sim, strides)
    matched_truth = len(pairs)
    errors = [(s.kickback_deg - t.kickback_deg, s.knee_elevation_deg - t.knee_elevation_deg)
              for t, s in pairs]
    running = sum(t.running for t in sim.strides)
    e = np.array(errors) if errors else np.zeros((1, 2))
    return Score(
        recall=matched_truth / running if running else 1.0,
        precision=matched_truth / (matched_truth + false_positive) if matched_truth + false_positive else 1.0,
        kickback_rmse=float(np.sqrt(np.mean(e[:, 0] ** 2))),
        knee_rmse=float(np.sqrt(np.mean(e[:, 1] ** 2))),
        kickback_bias=float(np.mean(e[:, 0])),
        knee_bias=float(np.mean(e[:, 1])),
        matched=matched_truth,
    )


def run_and_score(speed: float = 3.5, *, sample_rate: float = 200, seed: int = 0,
                  errors: SensorErrors | None = None, seconds: float = 60.0) -> Score:
    sim = simulate(standard_session(speed, seconds), sample_rate=sample_rate, seed=seed, errors=errors)
    strides, _ = analyze(recording_of(sim), body_of(sim))
    return score(sim, strides)
