"""Gait events of one leg from its shank and thigh signals, vectorised over all candidates.

- Mid-swing: the shank's forward-swing peak of sagittal angular velocity, the
  largest, least ambiguous feature of a gait cycle (Aminian et al. 2002;
  Salarian et al. 2004).
- Initial contact: the foot strike is a shock, so IC is the peak of the shank's
  jerk (first difference of specific force) around the end of the forward swing,
  when the shank's angular velocity has returned to zero (terminal swing).
- Toe-off: peak hip extension coincides with toe-off in running (Novacheck,
  "The biomechanics of running", Gait & Posture 1998), so TO is the minimum of
  the thigh angle between IC and the next mid-swing.

All windows are in seconds and converted at the sample rate, so no constant
depends on speed.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MIDSWING_MIN_DPS = 150.0
MIDSWING_HALF_WINDOW_S = 0.2  # a mid-swing peak dominates ±0.2 s (strides last ≥ 0.4 s)
SWING_END_MAX_S = 0.35  # forward swing ends (shank ω ≤ 0) within this time of mid-swing
IC_BEFORE_S = 0.01  # foot strike searched from the end of the forward swing (swing-leg retraction) …
IC_AFTER_S = 0.08  # … to 80 ms after
TO_AFTER_IC_S = 0.04


def seconds(value: float, rate: float) -> int:
    return max(int(round(value * rate)), 1)


def midswing_peaks(ws: np.ndarray, start: int, stop: int, rate: float) -> np.ndarray:
    """Indices i in [start, stop) of forward-swing peaks: ws[i] is the strict maximum of ±D."""
    d = seconds(MIDSWING_HALF_WINDOW_S, rate)
    start, stop = max(start, d), min(stop, len(ws) - d)
    if stop <= start:
        return np.empty(0, dtype=np.int64)
    seg = ws[start - 1: stop + 1]
    local = (seg[1:-1] >= MIDSWING_MIN_DPS) & (seg[1:-1] > seg[:-2]) & (seg[1:-1] >= seg[2:])
    cand = np.flatnonzero(local) + start
    if cand.size == 0:
        return cand
    windows = sliding_window_view(ws, d)  # windows[j] = ws[j : j + d]
    left = windows[cand - d].max(axis=1)
    right = windows[cand + 1].max(axis=1)
    return cand[(ws[cand] > left) & (ws[cand] >= right)]


def initial_contacts(
    ws: np.ndarray, accel: np.ndarray, peaks: np.ndarray, rate: float
) -> tuple[np.ndarray, int]:
    """IC index after each mid-swing peak (-1 where the swing never ends), from the shank's
    flexion rate `ws` and specific force `accel` (3, n).

    Returns the ICs of the first `resolved` peaks: those whose search window is
    inside the data; the rest wait for more samples.
    """
    n = len(ws)
    before, after = seconds(IC_BEFORE_S, rate), seconds(IC_AFTER_S, rate)
    swing_end_max = seconds(SWING_END_MAX_S, rate)
    if peaks.size == 0:
        return np.empty(0, dtype=np.int64), 0
    nonpos = np.flatnonzero(ws[peaks[0]:] <= 0) + peaks[0]
    pos = np.searchsorted(nonpos, peaks + 1)
    found = pos < len(nonpos)
    # No swing has ended yet in the data held (a feed that stops mid-swing): nothing to look up.
    if len(nonpos):
        z = np.where(found, nonpos[np.minimum(pos, len(nonpos) - 1)], n)
    else:
        z = np.full(len(peaks), n)
    ends_in_time = found & (z - peaks <= swing_end_max)
    # A peak is resolved when its whole IC window is here, or its swing provably never ends.
    ready = np.where(ends_in_time, z + after < n, peaks + swing_end_max < n)
    resolved = int(np.argmin(ready)) if not ready.all() else len(peaks)
    peaks, z, ends_in_time = peaks[:resolved], z[:resolved], ends_in_time[:resolved]
    ics = np.full(resolved, -1, dtype=np.int64)
    if ends_in_time.any():
        zs, ms = z[ends_in_time], peaks[ends_in_time]
        lo = np.maximum(zs - before, ms + 1)
        offsets = np.arange(before + after + 1)
        idx = lo[:, None] + offsets
        valid = idx <= (zs + after)[:, None]
        values = np.where(valid, jerk(accel, np.minimum(idx, n - 1)), -np.inf)
        ics[ends_in_time] = lo + np.argmax(values, axis=1)
    return ics, resolved


def jerk(accel: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """|Δ specific force| from the previous sample at each index (0 at the first sample)."""
    step = accel[:, idx] - accel[:, np.maximum(idx - 1, 0)]
    return np.sqrt(np.sum(step * step, axis=0))


def toe_offs(theta_thigh: np.ndarray, ic_start: np.ndarray, midswing: np.ndarray, rate: float) -> np.ndarray:
    """TO: the thigh's most extended sample between IC (+40 ms) and the stride's mid-swing."""
    lo = ic_start + seconds(TO_AFTER_IC_S, rate)
    length = np.maximum(midswing - lo, 1)
    width = int(length.max()) if length.size else 1
    idx = lo[:, None] + np.arange(width)
    inside = idx < (lo + length)[:, None]
    values = np.where(inside, theta_thigh[np.minimum(idx, len(theta_thigh) - 1)], np.inf)
    return lo + np.argmin(values, axis=1)
