"""Orientation of strides that cannot anchor themselves, and the uncertainty of every stride.

A stride anchors its own angles (`strides.own_orientation`) only when its whole orientation
window was observed: the stride-mean specific force needs every sample, and an impact lost
in a gap takes several m/s of impulse with it. A stride whose window holds a gap (or whose
force is implausible, or whose accelerometer clipped) takes its offset k from the nearest
self-anchored strides of the same leg, one before and one after, through the integrated gyro
φ that links them: θ = φ + k holds along φ, so k carries over unchanged wherever φ is exact.

φ is not exact across a gap: nothing was observed there, and the fill (the runner's previous
stride, `resample.py`) is a guess whose error grows about with the cube of the gap's share of
the stride (`bench/gap_bench.py`; the simulator, whose strides differ more from one to the
next than the real kinematics through the forward IMU model, errs most and sets the figures:
about 1° rms for 80 ms at 3.5 m/s away from a foot strike, 1.5° at one, 0.3° for 40 ms).
So each anchor's contribution to a peak carries the variance of the gaps between the
anchor's window and the peak, plus the drift of k with time, and the two are combined by
inverse variance: a gap on one side of the peak is bridged from the other side. The
resulting standard deviation is the stride's honest uncertainty (± degrees, one sigma); a
peak inside a gap adds a quarter of that gap's variance (it sits halfway in, on average,
from one side or the other).

A stride waits for its later anchor only when the earlier one alone leaves the uncertainty
above WAIT_ABOVE_DEG; decisions read only the strides' own data and the strides around
them, so streaming still equals batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# One-sigma error of a self-anchored stride (the simulator's clean-signal RMSE, docs/metrics.md).
BASE_DEG = {"kickback": 1.0, "knee_elevation": 0.7}
DRIFT_DEG_PER_S = 0.6  # k wanders between strides (residual bias, axis error): ~0.4° a stride
REACH_S = 3.5  # anchors further away than this are not used (history kept: engine.KEEP_S)
# rms error of one segment's angle integrated across a gap of FILL_REF of its stride: away from
# foot strikes, and within IMPACT_NEAR_S of one, where the segments turn fastest (bench/gap_bench.py,
# the larger of simulator and real kinematics). A gap at an impact also costs at least
# IMPACT_FLOOR_DEG: its error has long tails (one in a hundred is four times the rms), so an
# angle carried across it is never trusted to better than that.
FILL_RMS_DEG = 1.1
FILL_IMPACT_RMS_DEG = 1.2
FILL_REF = 0.11
IMPACT_NEAR_S = 0.06
IMPACT_FLOOR_DEG = 1.0
SHORT_HOLE_SAMPLES = 2  # single lost instants of interleaved notifications: filled well anywhere
WAIT_ABOVE_DEG = 1.5
# Kickback is the difference of two segments whose fill errors are independent.
SEGMENTS = {"kickback": 2.0, "knee_elevation": 1.0}


@dataclass
class GapRuns:
    """Runs of filled (unobserved) samples in a buffer, absolute indices [start, end), and which
    of them lie at a foot strike."""

    start: np.ndarray
    end: np.ndarray
    sums: np.ndarray  # (runs + 1, 3) running sums of (s⁶ away, s⁶ at an impact, impacts), 0 first

    @classmethod
    def of(cls, runs: tuple[np.ndarray, np.ndarray], offset: int, rate: float,
           impacts: np.ndarray) -> GapRuns:
        """From the buffer's runs of filled samples, (start, end) indices into a buffer at `offset`."""
        start, end = offset + runs[0], offset + runs[1]
        near = int(round(IMPACT_NEAR_S * rate))
        impacts = np.sort(impacts)
        first_after = np.searchsorted(impacts, start - near)
        at_impact = (first_after < len(impacts)) & (
            impacts[np.minimum(first_after, max(len(impacts) - 1, 0))] < end + near) if len(
            impacts) else np.zeros(len(start), dtype=bool)
        at_impact &= end - start > SHORT_HOLE_SAMPLES
        sixth = ((end - start) / rate) ** 6
        terms = np.column_stack([np.where(at_impact, 0.0, sixth), np.where(at_impact, sixth, 0.0), at_impact])
        return cls(start, end, np.vstack([np.zeros((1, 3)), np.cumsum(terms, axis=0)]))

    def between(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """(n, 3) sums of the runs whose middle lies in (lo, hi]."""
        mid = (self.start + self.end - 1) // 2
        a, b = np.searchsorted(mid, lo, side="right"), np.searchsorted(mid, hi, side="right")
        return self.sums[np.maximum(b, a)] - self.sums[a]

    def at(self, index: np.ndarray, rate: float) -> np.ndarray:
        """Length (s) of the run holding each index (0 where it was observed)."""
        if not len(self.start):
            return np.zeros(len(index))
        run = np.searchsorted(self.start, index, side="right") - 1
        inside = (run >= 0) & (index < self.end[np.maximum(run, 0)])
        return np.where(inside, (self.end - self.start)[np.maximum(run, 0)] / rate, 0.0)


@dataclass
class Anchors:
    """Self-anchored strides of one leg: window (first, last), time (s) of the middle, k (n, 2)."""

    first: np.ndarray
    last: np.ndarray
    k: np.ndarray

    @classmethod
    def empty(cls) -> Anchors:
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty((0, 2)))

    def add(self, first: np.ndarray, last: np.ndarray, k: np.ndarray, keep_from: int) -> Anchors:
        first, last = np.concatenate([self.first, first]), np.concatenate([self.last, last])
        k = np.concatenate([self.k, k])
        keep = last >= keep_from
        return Anchors(first[keep], last[keep], k[keep])


def fill_variance(sums: np.ndarray, stride_s: np.ndarray, metric: str) -> np.ndarray:
    """Variance (deg²) of an angle integrated across gaps (`GapRuns.between` sums)."""
    scale = (FILL_REF * stride_s) ** 6
    fills = FILL_RMS_DEG**2 * sums[:, 0] + FILL_IMPACT_RMS_DEG**2 * sums[:, 1]
    return SEGMENTS[metric] * (fills / scale + IMPACT_FLOOR_DEG**2 * sums[:, 2])


@dataclass
class Resolved:
    """Offsets and uncertainties of the strides an `anchor` call settled."""

    done: np.ndarray  # (n,) bool: settled now
    k: np.ndarray  # (n, 2)
    found: np.ndarray  # (n,) bool: an anchor was in reach
    uncertainty: dict[str, np.ndarray]  # metric → (n,) one-sigma degrees
    waited: np.ndarray  # (n,) bool: settled with the later anchor (delivered a stride late)

    @classmethod
    def own(cls, k: np.ndarray) -> Resolved:
        """Strides that all anchored themselves: settled at once, with their own k."""
        n = len(k)
        yes, no = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
        return cls(yes, k, yes, {metric: np.full(n, base) for metric, base in BASE_DEG.items()}, no)


def anchor(own: np.ndarray, own_k: np.ndarray, start: np.ndarray, end: np.ndarray,
           peaks: dict[str, np.ndarray], anchors: Anchors, gaps: GapRuns, rate: float,
           horizon_passed: np.ndarray) -> Resolved:
    """Offsets of waiting strides (absolute indices) from their own window or their neighbours'.

    `anchors` holds every self-anchored stride found so far (the waiting ones included);
    `horizon_passed` says, per stride, that every stride able to anchor it has been found.
    """
    n = len(start)
    stride_s = (end - start) / rate
    mid_of = (anchors.first + anchors.last) // 2
    before = np.searchsorted(mid_of, start, side="left") - 1
    after = np.searchsorted(mid_of, end, side="right")
    reach = int(REACH_S * rate)
    has_before = (before >= 0) & (start - mid_of[np.clip(before, 0, None)] <= reach) if len(mid_of) else (
        np.zeros(n, bool))
    has_after = (after < len(mid_of)) & (mid_of[np.minimum(after, len(mid_of) - 1)] - end <= reach) if len(
        mid_of) else np.zeros(n, bool)
    b, a = np.clip(before, 0, max(len(mid_of) - 1, 0)), np.minimum(after, max(len(mid_of) - 1, 0))
    variances = {}
    for metric, peak in peaks.items():
        base = BASE_DEG[metric] ** 2
        alone = np.column_stack([gaps.at(peak, rate) ** 6, np.zeros(n), np.zeros(n)])
        at_peak = fill_variance(alone, stride_s, metric) / 4
        if len(mid_of):
            v_before = base + (DRIFT_DEG_PER_S * (peak - mid_of[b]) / rate) ** 2 + fill_variance(
                gaps.between(anchors.last[b], peak), stride_s, metric)
            v_after = base + (DRIFT_DEG_PER_S * (mid_of[a] - peak) / rate) ** 2 + fill_variance(
                gaps.between(peak, anchors.first[a]), stride_s, metric)
        else:
            v_before = v_after = np.full(n, np.inf)
        variances[metric] = (np.where(has_before, v_before, np.inf), np.where(has_after, v_after, np.inf),
                             at_peak)
    # A stride that its earlier anchor alone bounds well is settled at once (no delay on the
    # live path); the others wait for the later anchor and use both. Weights come from
    # kickback, the metric coaches look at first; both metrics are read off the same angles.
    vb, va, at_kick = variances["kickback"]
    early = np.sqrt(vb + at_kick) <= WAIT_ABOVE_DEG
    va = np.where(early, np.inf, va)
    with np.errstate(divide="ignore"):
        wb, wa = 1 / vb, 1 / va
    total = wb + wa
    found = own | (total > 0)
    share_b = np.where(found, wb, 1.0) / np.where(total > 0, total, 1.0)
    share_a = 1.0 - share_b
    kb = anchors.k[b] if len(mid_of) else np.zeros((n, 2))
    ka = anchors.k[a] if len(mid_of) else np.zeros((n, 2))
    k = np.where(own[:, None], own_k, share_b[:, None] * kb + share_a[:, None] * ka)
    uncertainty = {}
    for metric, (v_b, v_a, at_peak) in variances.items():
        neighbours = share_b**2 * np.where(share_b > 0, v_b, 0) + share_a**2 * np.where(share_a > 0, v_a, 0)
        # A self-anchored stride has no lost run longer than SHORT_HOLE_SAMPLES: its peak needs no
        # fill term (as `Resolved.own` says when a whole batch anchored itself).
        variance = np.where(own, BASE_DEG[metric] ** 2, np.where(found, neighbours, np.inf) + at_peak)
        uncertainty[metric] = np.sqrt(variance)
    done = own | early | has_after | horizon_passed
    return Resolved(done, k, found, uncertainty, done & ~own & ~early)
