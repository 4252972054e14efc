"""Restore short accelerometer clipping by a cubic through the samples around it.

Foot strikes and sprint swings can drive an accelerometer past its range (±16 g
parts clip at sprint; our leggings declare ±32 g, see docs/ble-protocol.md); left
clipped, the stride-mean specific force (the orientation reference) loses that
impulse. Clipping shows as a plateau: consecutive samples at exactly the same large
value, whatever the range. Runs of up to MAX_RUN samples with two good samples on
each side are replaced by the cubic through those four; longer runs stay marked as
clipped, and their strides take their orientation from the stride before.
Samples are released HOLD samples late, so a run is always judged on the same data
whatever the chunking; samples below the plateau's magnitude (never repaired) go at once.
"""

from __future__ import annotations

import numpy as np

from metrics.core.calibration import G
from metrics.core.resample import lagrange, true_runs

PLATEAU_MIN_MS2 = 8 * G  # no real signal sits on one value at this magnitude
ACCEL_CHANNELS = np.array([6 * s + a for s in range(4) for a in range(3)])
MAX_RUN = 4
HOLD = MAX_RUN + 2
CONTEXT = 2


class Declipper:
    """Samples (channels × n) in, samples out (up to HOLD later); `final` releases the rest."""

    def __init__(self, channels: int = 24) -> None:
        self._work = np.empty((channels, 0))  # reused from push to push (no fresh pages each time)
        self._buf = self._work
        self._filled = np.empty(0, dtype=bool)  # carried per-sample flag
        self._clipped = np.empty(0, dtype=bool)
        self._context = 0  # leading samples already released, kept as support

    def push(self, samples: np.ndarray, filled: np.ndarray, final: bool = False):
        """Returns (samples, filled, clipped) now certain; `final` releases everything. The samples
        are a view, valid until the next push."""
        held = self._buf.shape[1]
        if self._work.shape[1] < held + samples.shape[1]:
            self._work = np.empty((self._work.shape[0], 2 * (held + samples.shape[1])))
        buf = self._work[:, : held + samples.shape[1]]
        buf[:, :held] = self._buf
        buf[:, held:] = samples
        flags = np.concatenate([self._filled, filled])
        clipped = np.concatenate([self._clipped, np.zeros(samples.shape[1], dtype=bool)])
        n = buf.shape[1]
        decide_until = n if final else n - HOLD
        self._repair(buf, clipped, decide_until)
        # A sample below the plateau's magnitude on every axis is never repaired: those up to the
        # first large one need not wait (in running, all but the samples just after a strike).
        settled = max(decide_until, 0)
        large = self._large(buf[:, settled:])
        release_until = max(settled + (int(np.argmax(large)) if large.any() else len(large)), self._context)
        out = (buf[:, self._context: release_until], flags[self._context: release_until],
               clipped[self._context: release_until])
        keep_from = max(release_until - CONTEXT, 0)
        self._buf, self._filled, self._clipped = buf[:, keep_from:], flags[keep_from:], clipped[keep_from:]
        self._context = release_until - keep_from
        return out

    @staticmethod
    def _large(buf: np.ndarray) -> np.ndarray:
        """Per sample: some accelerometer axis at the plateau's magnitude or beyond."""
        return (np.abs(buf[ACCEL_CHANNELS]) >= PLATEAU_MIN_MS2).any(axis=0)

    def _repair(self, buf: np.ndarray, clipped: np.ndarray, decide_until: int) -> None:
        accel = buf.reshape(4, 6, -1)[:, :3]
        large = (accel.max(axis=2) >= PLATEAU_MIN_MS2) | (accel.min(axis=2) <= -PLATEAU_MIN_MS2)
        for row in np.flatnonzero(large.ravel()):
            channel = ACCEL_CHANNELS[row]
            over = _plateau(buf[channel])
            for start, end in true_runs(over):
                if start < self._context or start >= decide_until:
                    continue  # decided before, or not yet decidable
                if end - start > MAX_RUN or start < CONTEXT or end + CONTEXT > len(over):
                    clipped[start:end] = True
                    continue
                support = np.array([start - 2, start - 1, end, end + 1])
                if over[support].any():
                    clipped[start:end] = True
                    continue
                fit = lagrange(support.astype(float), buf[channel, support][:, None],
                               np.arange(start, end, dtype=float))
                buf[channel, start:end] = fit[:, 0]


def _plateau(x: np.ndarray) -> np.ndarray:
    """Samples of one channel that are large and equal to a neighbour: the accelerometer's rail."""
    same = x[1:] == x[:-1]
    next_to_same = np.concatenate([[False], same]) | np.concatenate([same, [False]])
    return (np.abs(x) >= PLATEAU_MIN_MS2) & next_to_same
