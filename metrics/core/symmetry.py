"""Left/right symmetry over neighbouring strides: 100·(L − R)/mean(L, R) (SPEC §5).

For a stride ending at t, L and R are the means of each leg's running strides
that ended in the last 5 s; the other leg's strides count only if they ended at
least 0.2 s earlier, so the result never depends on which of two nearly
simultaneous strides the stream delivered first.
"""

from __future__ import annotations

from collections import deque

WINDOW_S = 5.0
OTHER_LEG_LAG_S = 0.2


class SymmetryTracker:
    def __init__(self) -> None:
        self._recent: dict[str, deque] = {"left": deque(), "right": deque()}

    def add(self, leg: str, t_end: float, values: dict[str, float]) -> dict[str, float | None]:
        """Record a stride and return its symmetry per metric (None until both legs are seen)."""
        for strides in self._recent.values():
            while strides and strides[0][0] <= t_end - 2 * WINDOW_S:
                strides.popleft()
        self._recent[leg].append((t_end, values))
        other = "right" if leg == "left" else "left"
        since = t_end - WINDOW_S
        sides = {
            leg: [v for t, v in self._recent[leg] if since < t <= t_end],
            other: [v for t, v in self._recent[other] if since < t <= t_end - OTHER_LEG_LAG_S],
        }
        if not sides["left"] or not sides["right"]:
            return {metric: None for metric in values}
        result = {}
        for metric in values:
            left = sum(v[metric] for v in sides["left"]) / len(sides["left"])
            right = sum(v[metric] for v in sides["right"]) / len(sides["right"])
            result[metric] = round(100 * (left - right) / ((left + right) / 2), 2)
        return result
