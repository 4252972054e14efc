"""Left/right symmetry over neighbouring strides: 100·(L − R)/mean(L, R) (SPEC §5).

For a stride ending at t, L and R are the means of each leg's running strides
that ended in the last 5 s; the other leg's strides count only if they ended at
least 0.2 s earlier, so the result never depends on which of two nearly
simultaneous strides the stream delivered first.
"""

from __future__ import annotations

import numpy as np

WINDOW_S = 5.0
OTHER_LEG_LAG_S = 0.2
# A running stride lasts at least 0.38 s, so at most 14 of one leg's strides end within 5 s.
MAX_IN_WINDOW = 16


class SymmetryTracker:
    def __init__(self, metrics: int = 2) -> None:
        self._t = [np.empty(0), np.empty(0)]  # per leg (0 left, 1 right): recent stride ends …
        self._values = [np.empty((0, metrics)), np.empty((0, metrics))]  # … and their metrics

    def add(self, side: np.ndarray, t_end: np.ndarray, values: np.ndarray,
            counts: np.ndarray | None = None) -> np.ndarray:
        """Record strides given in the order they ended; return each one's symmetry per metric
        (n, metrics), NaN until both legs are seen. Strides where `counts` is False get a value
        but do not enter anyone's."""
        for leg in (0, 1):
            mine = (side == leg) & (True if counts is None else counts)
            self._t[leg] = np.concatenate([self._t[leg], t_end[mine]])
            self._values[leg] = np.concatenate([self._values[leg], values[mine]])
        own_lag = np.where(side == 0, 0.0, OTHER_LEG_LAG_S)
        left = self._window_mean(0, t_end - WINDOW_S, t_end - own_lag)
        right = self._window_mean(1, t_end - WINDOW_S, t_end - (OTHER_LEG_LAG_S - own_lag))
        if max(len(t) for t in self._t) > 4 * MAX_IN_WINDOW:  # keep the last 10 s, now and then
            newest = max(t[-1] for t in self._t if len(t))
            for leg in (0, 1):
                keep = self._t[leg] > newest - 2 * WINDOW_S
                self._t[leg], self._values[leg] = self._t[leg][keep], self._values[leg][keep]
        return 100 * (left - right) / ((left + right) / 2)

    def _window_mean(self, leg: int, after: np.ndarray, until: np.ndarray) -> np.ndarray:
        """Mean of the leg's strides that ended in (after, until], per row; NaN where none did.

        Always sums MAX_IN_WINDOW slots in the same order, so the result is the same however
        the strides were batched."""
        t, values = self._t[leg], self._values[leg]
        lo = np.searchsorted(t, after, side="right")
        hi = np.searchsorted(t, until, side="right")
        idx = lo[:, None] + np.arange(MAX_IN_WINDOW)
        inside = idx < hi[:, None]
        slots = values[np.minimum(idx, len(t) - 1)] if len(t) else 0.0
        picked = np.where(inside[:, :, None], slots, 0.0)
        count = (hi - lo)[:, None]
        return picked.sum(axis=1) / np.where(count > 0, count, np.nan)
