"""A streaming engine fed only where a stride may be confirmed: live frames at a fraction of the cost.

The engine's cost is per call (~1 ms), not per sample, and a leg completes a stride only about
once in 7 frames of 100 ms. `PacedFeed` holds samples until they reach a point where the engine
can confirm a stride (`stride_cuts`: the swing's peak and end seen on the shank rates), or for
HOLD_S at most (standing, walking, strides the cheap look missed, strides waiting for their
anchor). The strides are the same as frame by frame (the engine is chunk-invariant).
"""

from __future__ import annotations

import numpy as np

from metrics.core.engine import Stride, StrideEngine
from metrics.core.stride_cuts import StrideCuts

HOLD_S = 0.2  # samples wait this long at most (sample time) before the engine sees them


class PacedFeed:
    def __init__(self, engine: StrideEngine) -> None:
        self.engine = engine
        self.held: list[tuple[np.ndarray, np.ndarray]] = []  # (t, values) the engine has not seen
        self.cuts = StrideCuts()
        self.due: list[int] = []  # sample indices from which the engine can confirm a stride

    def take(self, t: np.ndarray, values: np.ndarray) -> list[Stride]:
        """Samples in (as `StrideEngine.feed`, at the engine's known rate); the strides completed,
        when the engine was fed."""
        self.held.append((t, values))
        rate = self.engine.sample_rate
        if rate and len(t):
            indices = np.rint(np.asarray(t) * rate).astype(np.int64)
            self.due += self.cuts.scan(indices, np.asarray(values), int(round(rate)))
            if self.due and self.due[0] <= indices[-1] + 1:
                self.due = [cut for cut in self.due if cut > indices[-1] + 1]
                return self.release()
        if float(t[-1]) - float(self.held[0][0][0]) < HOLD_S:
            return []
        return self.release()

    def release(self) -> list[Stride]:
        """Every held sample to the engine (the stream stopped, or a stride may be confirmed)."""
        if not self.held:
            return []
        t, values = (np.concatenate(parts) for parts in zip(*self.held, strict=True))
        self.held = []
        return self.engine.feed(t, values)

    def finish(self) -> list[Stride]:
        """The end of the stream: every stride left (as `StrideEngine.finish`)."""
        return self.release() + self.engine.finish()
