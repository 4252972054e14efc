"""A streaming engine fed only when a stride may complete: live frames at a fraction of the cost.

The engine's cost is per call (~1 ms), not per sample, and a leg completes a stride only about
once in 7 frames of 100 ms. `PacedFeed` holds samples until one of the legs' next stride may
complete — a stride's length after its last one did, less EARLY_S — or for HOLD_S at most. The
strides are the same as frame by frame (the engine is chunk-invariant) and, while the runner
runs steadily, in the same frame; a leg's first strides, and strides the engine releases late
(waiting for an anchor across lost samples), may come a frame or two later.
"""

from __future__ import annotations

import numpy as np

from metrics.core.engine import Stride, StrideEngine

EARLY_S = 0.15  # the engine sees every frame from this long before a leg's next stride is due …
LATE_S = 0.1  # … until this long after (then the next one is due a stride later) …
HOLD_S = 0.2  # … otherwise samples wait this long at most (sample time) before it sees them
STOPPED_STRIDES = 3  # a leg without a stride for this many strides' time has no rhythm


class PacedFeed:
    def __init__(self, engine: StrideEngine) -> None:
        self.engine = engine
        self.held: list[tuple[np.ndarray, np.ndarray]] = []  # (t, values) the engine has not seen
        self.rhythm: dict[str, tuple[float, float, float]] = {}  # leg: (last stride at, period, next due)

    def take(self, t: np.ndarray, values: np.ndarray) -> list[Stride]:
        """Samples in (as `StrideEngine.feed`); the strides completed, when the engine was fed."""
        self.held.append((t, values))
        now = float(t[-1])
        if not self._soon(now) and now - float(self.held[0][0][0]) < HOLD_S:
            return []
        return self.release()

    def release(self) -> list[Stride]:
        """Every held sample to the engine (the stream stopped, or a stride may complete)."""
        if not self.held:
            return []
        t, values = (np.concatenate(parts) for parts in zip(*self.held, strict=True))
        self.held = []
        strides = self.engine.feed(t, values)
        now = float(t[-1])
        for stride in sorted(strides, key=lambda s: s.t_end):
            period = stride.t_end - stride.t_start
            self.rhythm[stride.leg] = (now, period, now + period)
        return strides

    def finish(self) -> list[Stride]:
        """The end of the stream: every stride left (as `StrideEngine.finish`)."""
        return self.release() + self.engine.finish()

    def _soon(self, now: float) -> bool:
        """A leg's next stride is due within EARLY_S. One that did not come (skipped, or waiting
        for its anchor) moves the next one's due time a stride on."""
        soon = False
        for leg, (last, period, due) in list(self.rhythm.items()):
            while now > due + LATE_S:
                due += period
            if due - last > STOPPED_STRIDES * period:
                del self.rhythm[leg]
                continue
            self.rhythm[leg] = (last, period, due)
            soon |= now >= due - EARLY_S
        return soon
