"""Segment angles and SPEC §5 metrics for a batch of strides of one leg, vectorised.

Orientation: each stride's sagittal angle is the integrated gyroscope plus one
constant, θ(t) = φ(t) + k, where k comes from physics — over one whole stride of
steady running the mean specific force, in the world frame, equals gravity plus the
sensor's mean acceleration (its velocity change relative to the hip, which the gyro
gives). The sagittal basis already holds the segment's long axis from standing
(calibration.py), so no separate mounting tilt remains to subtract. Only one stride
of integration enters each k, so gyro drift stays below bias × stride time, and the
mean over a stride of several g of swing and impact acceleration is exactly what
cancels. Closed form: the engine keeps, per sample, the specific force turned by φ,
P = f_a sin φ + f_b cos φ and Q = f_a cos φ − f_b sin φ; a stride's
world-frame mean is (⟨P⟩, −⟨Q⟩) turned by k, so k = atan2(g + Δv_z/T, Δv_x/T) −
atan2(−⟨Q⟩, ⟨P⟩), and |(⟨P⟩, ⟨Q⟩)| ≈ |g + Δv/T| is a sanity check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metrics.core.calibration import G


@dataclass(frozen=True)
class Body:
    """Segment lengths (m), where the garment holds each IMU (fraction of the segment from its
    proximal joint), and the speed model's lever factor (calibratable per runner)."""

    thigh_m: float
    shank_m: float
    speed_factor: float = 1.3
    thigh_sensor_at: float = 0.5
    shank_sensor_at: float = 0.5

    @classmethod
    def from_height(cls, height_m: float, thigh_m: float | None = None, shank_m: float | None = None,
                    speed_factor: float = 1.3) -> Body:
        return cls(thigh_m or 0.245 * height_m, shank_m or 0.246 * height_m, speed_factor)


@dataclass
class SegmentSignals:
    """One sensor's per-sample signals: flexion rate (deg/s), its integral φ (rad), and the
    specific force turned by φ, P and Q (m/s², see `turned_force`)."""

    rate: np.ndarray
    phi: np.ndarray
    p: np.ndarray
    q: np.ndarray


def turned_force(f_a: np.ndarray, f_b: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P, Q): the sagittal specific force (long a, forward b) turned by the integrated angle φ."""
    phi32 = phi.astype(np.float32)  # float32 trig: 1e-7 rad is plenty
    sin, cos = np.sin(phi32).astype(np.float64), np.cos(phi32).astype(np.float64)  # widened once, exactly
    return f_a * sin + f_b * cos, f_a * cos - f_b * sin


@dataclass
class _Orientation:
    offset: np.ndarray  # (n,) k: θ = φ + k, radians
    force_ratio: np.ndarray  # (n,) |stride-mean force| ÷ what gravity and Δv predict


def _velocity(terms: list[tuple[float, SegmentSignals, np.ndarray]], at: np.ndarray) -> np.ndarray:
    """Velocity (..., n, X/Z) relative to the hip of a point at Σ d·θ'·n(θ), at samples `at`
    (..., n) of each of n strides."""
    v = np.zeros((*at.shape, 2))
    for distance, seg, offset in terms:
        theta = seg.phi[at] + offset
        omega = np.radians(seg.rate[at])
        v[..., 0] += distance * omega * np.cos(theta)
        v[..., 1] += distance * omega * np.sin(theta)
    return v


def _orientation(seg: SegmentSignals, first: np.ndarray, last: np.ndarray, seconds: np.ndarray,
                 lever: list, distance: float) -> _Orientation:
    """k per stride from the mean specific force over samples [first, last).

    `lever` holds the proximal segments' (length, signals, k) terms of the sensor's velocity.
    """
    count = last - first
    bounds = np.column_stack([first, last]).ravel()  # reduceat sums [first, last) at even places
    p = np.add.reduceat(seg.p, bounds)[::2] / count
    q = np.add.reduceat(seg.q, bounds)[::2] / count
    measured = np.arctan2(-q, p)
    offset = np.arctan2(G, 0.0) - measured
    ends = np.stack([last, first])
    lever_v = _velocity(lever, ends)  # the proximal segments' part, whatever this k
    for _ in range(2):  # the velocity change depends (weakly) on θ itself
        v = lever_v + _velocity([(distance, seg, offset)], ends)
        dv = (v[0] - v[1]) / seconds[:, None]
        offset = np.arctan2(G + dv[:, 1], dv[:, 0]) - measured
    offset -= 2 * np.pi * np.round((seg.phi[first] + offset) / (2 * np.pi))  # θ in (−180°, 180°]
    return _Orientation(offset, np.hypot(p, q) / np.hypot(dv[:, 0], G + dv[:, 1]))


def _refined_extreme(values: np.ndarray, mask: np.ndarray, at: np.ndarray | None = None) -> np.ndarray:
    """Row-wise maximum over `mask` (at column `at` when the caller knows it already), refined by
    a parabola through the peak and its neighbours."""
    rows = np.arange(len(values))
    m = np.argmax(np.where(mask, values, -np.inf), axis=1) if at is None else at
    last = values.shape[1] - 1
    peak = values[rows, m]
    left_i, right_i = np.maximum(m - 1, 0), np.minimum(m + 1, last)
    ok = (m > 0) & (m < last) & mask[rows, left_i] & mask[rows, right_i]
    left = np.where(ok, values[rows, left_i], peak)
    right = np.where(ok, values[rows, right_i], peak)
    denom = left - 2 * peak + right
    ok &= denom < 0
    offset = np.where(ok, 0.5 * (left - right) / np.where(ok, denom, -1.0), 0.0)
    return peak - 0.25 * (left - right) * offset


@dataclass
class StrideBatch:
    """Metrics of n strides of one leg (arrays of length n)."""

    kickback_deg: np.ndarray
    shank_back_deg: np.ndarray
    heel_rise_cm: np.ndarray
    knee_elevation_deg: np.ndarray
    knee_rise_cm: np.ndarray
    cadence_spm: np.ndarray
    contact_ms: np.ndarray
    speed_mps: np.ndarray
    trace: np.ndarray  # (n, 2, k) thigh and shank angle at TRACE_HZ from IC, NaN past the stride


METRICS = ("kickback_deg", "shank_back_deg", "heel_rise_cm", "knee_elevation_deg", "knee_rise_cm",
           "cadence_spm", "contact_ms", "speed_mps")
FLIGHT_LEAD_S = 0.05
# |stride-mean specific force| within 12 % of what gravity and the sensor's velocity change
# predict, else the stride's own orientation is doubted.
FORCE_TOLERANCE = 0.12


def orientation_window(start: np.ndarray, end: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Samples [first, last) whose mean force anchors each stride: one whole period from a flight
    instant FLIGHT_LEAD_S before IC, where the hip is in free fall, so IC error does not change
    the sensor's velocity. The lead keeps the window's edges before the impact even where IC is
    found late: at 100 Hz on real kinematics an under-sampled shock puts IC 10–25 ms after the
    strike (bench/real_kinematics.py), and a 25 ms lead then cut into the impact."""
    lead = int(round(FLIGHT_LEAD_S * rate))
    return start - lead, end - lead


def own_orientation(thigh: SegmentSignals, shank: SegmentSignals, start: np.ndarray, end: np.ndarray,
                    body: Body, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Each stride's own offsets k (n, 2: thigh, shank; θ = φ + k, radians) and whether the
    stride-mean force agrees with gravity and the velocity change (within FORCE_TOLERANCE)."""
    first, last = orientation_window(start, end, rate)
    seconds = (end - start) / rate
    lt, ls = body.thigh_m, body.shank_m
    th = _orientation(thigh, first, last, seconds, [], body.thigh_sensor_at * lt)
    sh = _orientation(shank, first, last, seconds, [(lt, thigh, th.offset)], body.shank_sensor_at * ls)
    plausible = (np.abs(th.force_ratio - 1) < FORCE_TOLERANCE) & (
        np.abs(sh.force_ratio - 1) < FORCE_TOLERANCE)
    return np.column_stack([th.offset, sh.offset]), plausible


def _swing(thigh: SegmentSignals, toe_off: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices from toe-off to the next IC (n, k), and which of them lie in the swing."""
    swing_length = end - toe_off
    cols = np.arange(int(swing_length.max()) + 1)
    return np.minimum(toe_off[:, None] + cols, end[:, None]), cols <= swing_length[:, None]


def peak_samples(thigh: SegmentSignals, shank: SegmentSignals, toe_off: np.ndarray,
                 end: np.ndarray) -> dict[str, np.ndarray]:
    """Sample of each stride's kickback and knee-elevation peak. A stride's offsets are constants,
    so the peaks sit where they sit in φ whatever the orientation turns out to be."""
    idx, swing = _swing(thigh, toe_off, end)
    rows = np.arange(len(idx))
    knee = np.where(swing, thigh.phi[idx], -np.inf)
    kick = np.where(swing, thigh.phi[idx] - shank.phi[idx], -np.inf)
    return {"kickback": idx[rows, np.argmax(kick, axis=1)],
            "knee_elevation": idx[rows, np.argmax(knee, axis=1)]}


def stride_metrics(
    thigh: SegmentSignals, shank: SegmentSignals, start: np.ndarray, toe_off: np.ndarray,
    end: np.ndarray, body: Body, rate: float, offsets: np.ndarray, peaks: dict[str, np.ndarray] | None = None,
) -> StrideBatch:
    """All SPEC §5 per-stride metrics for strides [start, end] with toe-off, indices into the
    signals, with the offsets k (n, 2) of their orientation (`own_orientation`, anchors.py) and,
    when known, the samples of their kickback and knee-elevation peaks (`peak_samples`)."""
    at = {name: p - toe_off for name, p in peaks.items()} if peaks is not None else {}
    length = end - start
    lt, ls = body.thigh_m, body.shank_m
    idx, swing = _swing(thigh, toe_off, end)
    theta_t = np.degrees(thigh.phi[idx] + offsets[:, :1])
    theta_s = np.degrees(shank.phi[idx] + offsets[:, 1:])
    knee_elevation = _refined_extreme(theta_t, swing, at.get("knee_elevation"))
    heel = (lt + ls) - (lt * np.cos(np.radians(theta_t, dtype=np.float32))
                        + ls * np.cos(np.radians(theta_s, dtype=np.float32)))

    def ankle_x(at: np.ndarray) -> np.ndarray:
        return lt * np.sin(thigh.phi[at] + offsets[:, 0]) + ls * np.sin(shank.phi[at] + offsets[:, 1])

    contact_s = (toe_off - start) / rate
    sweep = ankle_x(start) - ankle_x(toe_off)
    return StrideBatch(
        kickback_deg=_refined_extreme(theta_t - theta_s, swing, at.get("kickback")),
        shank_back_deg=_refined_extreme(-theta_s, swing),
        heel_rise_cm=100 * np.where(swing, heel, -np.inf).max(axis=1).astype(np.float64),
        knee_elevation_deg=knee_elevation,
        knee_rise_cm=100 * lt * (1 - np.cos(np.radians(knee_elevation))),
        cadence_spm=120 * rate / length,
        contact_ms=1000 * contact_s,
        speed_mps=body.speed_factor * sweep / np.maximum(contact_s, 1e-3),
        trace=_trace(thigh, shank, offsets, start, end, rate),
    )


TRACE_HZ = 25.0


def _trace(thigh: SegmentSignals, shank: SegmentSignals, offsets: np.ndarray, start: np.ndarray,
           end: np.ndarray, rate: float) -> np.ndarray:
    """Thigh and shank angles every 1/TRACE_HZ s from IC, for live charts (NaN past the stride)."""
    step = max(int(round(rate / TRACE_HZ)), 1)
    cols = np.arange(0, int((end - start).max()) + 1, step)
    idx = np.minimum(start[:, None] + cols, end[:, None])
    pick = np.where(cols <= (end - start)[:, None], 1.0, np.nan)
    angles = np.stack([thigh.phi[idx] + offsets[:, :1], shank.phi[idx] + offsets[:, 1:]], axis=1)
    return np.degrees(angles) * pick[:, None]
