"""Where in a live stream the engine can confirm a stride: a cheap look at the shank rates.

The engine confirms a stride's end (the next initial contact) once it holds the forward swing's
peak MIDSWING_HALF_WINDOW_S behind it and IC_AFTER_S past the end of the swing (the shank's
flexion rate back to zero), plus the sample its resampler holds back (events.py). The nominal
z rate (within ~10° of the flexion axis) shows the same swing, so the agent ends a frame right
there (ingest/agent/framer.py) instead of up to a frame later, and the server feeds its engine
only then (pacing.py). A cut a sample or two early only delays that stride to the next call:
the engine's output never depends on where it is cut.
"""

from __future__ import annotations

import numpy as np

from metrics.core.events import IC_AFTER_S, MIDSWING_HALF_WINDOW_S, MIDSWING_MIN_DPS

SHANK_GZ = (11, 23)  # left_shank gz, right_shank gz in the 24 nominal channels
# The resampler keeps its last sample back (the declipper keeps some only right after a strike,
# where the accelerometers read 8 g or more: past the swing's end by IC_AFTER_S they rarely do).
HELD_SAMPLES = 1
SPARE_SAMPLES = 3  # the engine's flexion axis is not exactly nominal z: its swing ends a little off


class StrideCuts:
    """Per shank, the swing in progress; `scan` returns the sample indices frames should end
    before (each frame then holds everything the engine needs to confirm that stride)."""

    def __init__(self) -> None:
        self.peaks: list[tuple[int, float] | None] = [None, None]  # (index, deg/s) of the swing's peak

    def scan(self, indices: np.ndarray, values: np.ndarray, rate: int) -> list[int]:
        """New samples, complete and in order (indices may skip lost ones), physical (n, 24)."""
        margin = HELD_SAMPLES + SPARE_SAMPLES
        after_peak = int(round(MIDSWING_HALF_WINDOW_S * rate)) + 2 + margin  # the peak's window is in
        after_end = int(round(IC_AFTER_S * rate)) + 1 + margin  # the IC search window is in
        cuts = []
        for leg, channel in enumerate(SHANK_GZ):
            rate_dps = values[:, channel]
            pos = 0
            while pos < len(rate_dps):
                if self.peaks[leg] is None:
                    swinging = np.flatnonzero(rate_dps[pos:] >= MIDSWING_MIN_DPS)
                    if not swinging.size:
                        break
                    pos += int(swinging[0])
                    self.peaks[leg] = (int(indices[pos]), float(rate_dps[pos]))
                ended = np.flatnonzero(rate_dps[pos:] <= 0)
                stop = pos + int(ended[0]) if ended.size else len(rate_dps)
                if stop > pos:
                    top = pos + int(np.argmax(rate_dps[pos:stop]))
                    if rate_dps[top] > self.peaks[leg][1]:
                        self.peaks[leg] = (int(indices[top]), float(rate_dps[top]))
                if not ended.size:
                    break
                peak = self.peaks[leg][0]
                cuts.append(max(peak + after_peak, int(indices[stop]) + after_end))
                self.peaks[leg] = None
                pos = stop
        return sorted(cuts)
