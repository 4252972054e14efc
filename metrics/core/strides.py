"""Segment angles and SPEC §5 metrics for a batch of strides of one leg, vectorised.

Orientation: each stride's sagittal angle is the gyroscope integrated from its
IC, θ(t) = φ(t) + c, where the constant c comes from physics — over one whole
stride of steady running the mean specific force, in the world frame, points
straight up (the body's mean acceleration over a cycle is ~0). The sagittal basis
already holds the segment's long axis from standing (calibration.py), so no
separate mounting tilt remains to subtract. Integrating only
one stride at a time keeps gyro drift below bias × stride time, and the mean over
a stride of several g of swing and impact acceleration is exactly what cancels.
Closed form: with A = ⟨f_a sin φ + f_b cos φ⟩ and B = ⟨f_a cos φ − f_b sin φ⟩,
the world-frame mean is (A, −B) rotated by c, so c = π/2 + atan2(B, A), and
hypot(A, B) ≈ g is a sanity check.
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
    specific force along the long (a) and forward (b) axes of the sagittal plane (m/s²)."""

    rate: np.ndarray
    phi: np.ndarray
    f_a: np.ndarray
    f_b: np.ndarray


@dataclass
class _Window:
    idx: np.ndarray  # (n, L) sample indices of each stride, IC to next IC
    period: np.ndarray  # (n, L) mask of one whole period [IC, next IC)
    ends: tuple[np.ndarray, np.ndarray]  # first and last column of each row's period
    seconds: np.ndarray  # (n,) stride time
    metric_end: np.ndarray  # (n,) column of the stride's last IC


def _mean_force(seg: SegmentSignals, w: _Window) -> tuple[np.ndarray, ...]:
    """φ from each IC and the stride means A, B of the specific force rotated by φ."""
    phi = seg.phi[w.idx] - seg.phi[w.idx[:, :1]]
    f_a, f_b = seg.f_a[w.idx], seg.f_b[w.idx]
    sin, cos = np.sin(phi), np.cos(phi)
    count = w.period.sum(axis=1)
    a = np.where(w.period, f_a * sin + f_b * cos, 0).sum(axis=1) / count
    b = np.where(w.period, f_a * cos - f_b * sin, 0).sum(axis=1) / count
    return phi, a, b


def _offset(a: np.ndarray, b: np.ndarray, dv: np.ndarray, w: _Window) -> np.ndarray:
    """c such that the stride-mean specific force equals g·up plus the sensor's mean acceleration.

    `dv` (n, 2) is the sensor's velocity change (X, Z) relative to the hip over the stride.
    """
    target = np.arctan2(G + dv[:, 1] / w.seconds, dv[:, 0] / w.seconds)
    return target - np.arctan2(-b, a)


def _velocity(terms: list[tuple[float, np.ndarray, np.ndarray]], rows: np.ndarray, col: np.ndarray):
    """Velocity (X, Z) relative to the hip of a point at Σ d·θ'·n(θ), at one column per row."""
    v = np.zeros((len(rows), 2))
    for distance, theta_deg, rate_dps in terms:
        th = np.radians(theta_deg[rows, col])
        omega = np.radians(rate_dps[rows, col])
        v += distance * omega[:, None] * np.column_stack([np.cos(th), np.sin(th)])
    return v


def _segment_angle(seg: SegmentSignals, w: _Window, lever: list, distance: float,
                   c_fixed: np.ndarray) -> dict[str, np.ndarray]:
    """θ (deg) of one segment over each stride, its rate (deg/s), θ at the stride's last IC, and
    |stride-mean specific force| ÷ the value gravity and the sensor's velocity change predict.

    `lever` holds the proximal segments' (length, θ, θ') terms of the sensor's velocity;
    rows where `c_fixed` is not NaN take that offset instead of the stride's own.
    """
    phi, a, b = _mean_force(seg, w)
    rate = seg.rate[w.idx]
    rows = np.arange(len(a))
    first, last = w.ends
    c = _offset(a, b, np.zeros((len(a), 2)), w)
    for _ in range(2):  # the velocity terms depend (weakly) on θ itself
        theta = np.degrees(phi + c[:, None])
        terms = lever + [(distance, theta, rate)]
        dv = _velocity(terms, rows, last) - _velocity(terms, rows, first)
        c = _offset(a, b, dv, w)
    c = np.where(np.isnan(c_fixed), c, c_fixed)
    theta = np.degrees(phi + c[:, None])
    expected = np.hypot(dv[:, 0] / w.seconds, G + dv[:, 1] / w.seconds)
    return {"theta": theta, "rate": rate, "force_ratio": np.hypot(a, b) / expected,
            "end": theta[rows, w.metric_end]}


def _refined_extreme(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row-wise maximum over `mask`, refined by a parabola through the peak and its neighbours."""
    masked = np.where(mask, values, -np.inf)
    m = np.argmax(masked, axis=1)
    rows = np.arange(len(values))
    peak = masked[rows, m]
    inner = (m > 0) & (m < values.shape[1] - 1)
    left = np.where(inner, masked[rows, np.maximum(m - 1, 0)], -np.inf)
    right = np.where(inner, masked[rows, np.minimum(m + 1, values.shape[1] - 1)], -np.inf)
    ok = np.isfinite(left) & np.isfinite(right)
    left, right = np.where(ok, left, peak), np.where(ok, right, peak)
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
    oriented: np.ndarray  # the orientation is trustworthy (own or carried from the previous stride)
    end_theta: np.ndarray  # (n, 2) thigh and shank angle at the stride's last IC, degrees
    carried_run: np.ndarray  # strides in a row, up to this one, whose orientation was carried
    trace: np.ndarray  # (n, 2, k) thigh and shank angle at TRACE_HZ from IC, NaN past the stride


MAX_CARRIED = 8
FLIGHT_LEAD_S = 0.025
# |stride-mean specific force| within 12 % of what gravity and the sensor's velocity change
# predict, else the stride's own orientation is doubted.
FORCE_TOLERANCE = 0.12


def stride_metrics(
    thigh: SegmentSignals, shank: SegmentSignals, start: np.ndarray, toe_off: np.ndarray,
    end: np.ndarray, body: Body, rate: float, *,
    trusted: np.ndarray, before: tuple[int, np.ndarray, int] | None = None,
) -> StrideBatch:
    """All SPEC §5 per-stride metrics for strides [start, end] with toe-off, indices into the signals.

    A stride whose own orientation
    is doubted (not `trusted`: lost samples at its impact, or a stride-mean specific force
    far from g) continues the previous stride's angles at its IC instead, when that stride
    ends exactly where it starts: `before` = (end index, (θ_thigh, θ_shank), strides carried
    in a row) of the last stride of an earlier batch. At most MAX_CARRIED strides in a row
    are carried, so gyro drift cannot build up.
    """
    # Orientation window: one whole period from a flight instant shortly before IC, where the
    # hip is in free fall, so a few ms of IC error do not change the sensor's velocity.
    lead = int(round(FLIGHT_LEAD_S * rate))
    length = end - start
    cols = np.arange(int(length.max()) + lead + 1)
    idx = (start - lead)[:, None] + cols
    idx = np.where(cols <= (length + lead)[:, None], idx, end[:, None])
    period = cols < length[:, None]
    window = _Window(idx, period, (np.zeros_like(length), length), length / rate, length + lead)
    mcols = cols[: cols.size - lead]  # metric columns: IC to next IC
    inside = mcols <= length[:, None]
    swing = inside & (mcols >= (toe_off - start)[:, None])

    lt, ls = body.thigh_m, body.shank_m
    free = np.full((len(start), 2), np.nan)

    def orient(c_fixed: np.ndarray) -> tuple[dict, dict]:
        th = _segment_angle(thigh, window, [], body.thigh_sensor_at * lt, c_fixed[:, 0])
        sh = _segment_angle(shank, window, [(lt, th["theta"], th["rate"])],
                            body.shank_sensor_at * ls, c_fixed[:, 1])
        return th, sh

    th, sh = orient(free)
    own_ok = trusted & (np.abs(th["force_ratio"] - 1) < FORCE_TOLERANCE) & (
        np.abs(sh["force_ratio"] - 1) < FORCE_TOLERANCE)
    oriented = own_ok.copy()
    carried_run = np.zeros(len(start), dtype=int)
    if not own_ok.all():
        fixed = free.copy()
        end_theta = np.column_stack([th["end"], sh["end"]])
        for i in np.flatnonzero(~own_ok):
            if i > 0 and end[i - 1] == start[i] and oriented[i - 1]:
                carried, run = end_theta[i - 1], carried_run[i - 1]
            elif i == 0 and before is not None and before[0] == start[0]:
                carried, run = before[1], before[2]
            else:
                continue
            if run >= MAX_CARRIED:
                continue
            lead_turn = np.array([thigh.phi[start[i]] - thigh.phi[start[i] - lead],
                                  shank.phi[start[i]] - shank.phi[start[i] - lead]])
            fixed[i] = np.radians(carried) - lead_turn
            oriented[i] = True
            carried_run[i] = run + 1
            phi_end = np.array([seg.phi[end[i]] - seg.phi[start[i]] for seg in (thigh, shank)])
            end_theta[i] = carried + np.degrees(phi_end)
        th, sh = orient(fixed)
    theta_t, theta_s = th["theta"][:, lead:], sh["theta"][:, lead:]
    rt, rs = np.radians(theta_t), np.radians(theta_s)
    knee_elevation = _refined_extreme(theta_t, swing)
    heel = (lt + ls) - (lt * np.cos(rt) + ls * np.cos(rs))

    rows = np.arange(len(start))
    ankle_x = lt * np.sin(rt) + ls * np.sin(rs)
    to_col = toe_off - start
    contact_s = to_col / rate
    sweep = ankle_x[:, 0] - ankle_x[rows, to_col]
    return StrideBatch(
        kickback_deg=_refined_extreme(theta_t - theta_s, swing),
        shank_back_deg=_refined_extreme(-theta_s, swing),
        heel_rise_cm=100 * np.where(swing, heel, -np.inf).max(axis=1),
        knee_elevation_deg=knee_elevation,
        knee_rise_cm=100 * lt * (1 - np.cos(np.radians(knee_elevation))),
        cadence_spm=120 * rate / length,
        contact_ms=1000 * contact_s,
        speed_mps=body.speed_factor * sweep / np.maximum(contact_s, 1e-3),
        oriented=oriented,
        end_theta=np.column_stack([th["end"], sh["end"]]),
        carried_run=carried_run,
        trace=_trace(theta_t, theta_s, inside, rate),
    )


TRACE_HZ = 25.0


def _trace(theta_t: np.ndarray, theta_s: np.ndarray, inside: np.ndarray, rate: float) -> np.ndarray:
    """Thigh and shank angles every 1/TRACE_HZ s from IC, for live charts (NaN past the stride)."""
    step = max(int(round(rate / TRACE_HZ)), 1)
    pick = np.where(inside[:, ::step], 1.0, np.nan)
    return np.stack([theta_t[:, ::step] * pick, theta_s[:, ::step] * pick], axis=1)
