"""Put samples on a uniform grid: fill short gaps (lost packets), split at long ones.

A run of one or two lost instants is filled with a cubic through the two samples on
either side (linear where a side has only one). A longer run is filled from the runner's
own previous stride: running repeats itself, and a cubic cannot know that a foot strike
happened in the gap (at 80 ms its integral errs 3–5 times as much; bench/gap_bench.py).
The stride period is the lag, within one stride of running to walking, at which the
samples just before and just after the gap best match those one lag earlier; the fill
is that lag's samples, shifted by a ramp that meets both edges. Every fill reads only
samples before the gap and a few after it, so the result is the same however the stream
was chunked. A gap longer than `max_gap_s` ends the segment: no stride is built across it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

MAX_GAP_S = 0.25
TEMPLATE_MIN_SAMPLES = 3  # runs this long are filled from the previous stride, shorter ones by a cubic
PERIOD_S = (0.38, 1.5)  # lags searched for the stride period: running to walking
BEFORE_S = 0.1  # samples matched before a gap …
AFTER_SAMPLES = 4  # … and after it (a gap is emitted once these have arrived)


@dataclass
class GridChunk:
    """Consecutive grid samples of one segment; `new_segment` marks a segment's first chunk."""

    segment_t0: float
    first_index: int
    samples: np.ndarray  # (channels, n)
    filled: np.ndarray  # (n,) True where a sample was interpolated across lost ones
    new_segment: bool


def lagrange(xs: np.ndarray, ys: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Polynomial through points (xs, ys) (rows), evaluated at x."""
    out = np.zeros((len(x), ys.shape[1]))
    for j in range(len(xs)):
        weight = np.ones(len(x))
        for m in range(len(xs)):
            if m != j:
                weight *= (x - xs[m]) / (xs[j] - xs[m])
        out += weight[:, None] * ys[j]
    return out


class GridResampler:
    """Raw (t, values) in → GridChunks out. Holds back the newest sample for gap filling."""

    def __init__(self, sample_rate: float, max_gap_s: float = MAX_GAP_S) -> None:
        self.dt = 1.0 / sample_rate
        self.max_gap = max(int(round(max_gap_s * sample_rate)), 1)
        self.dropped: Counter = Counter()
        self._t0: float | None = None
        self._k = np.empty(0, dtype=np.int64)  # grid indices of held raw samples
        self._v = _Rows(0)
        self._emitted = 0  # grid index of the next row to emit
        self._last_t = -np.inf
        self._before = int(round(BEFORE_S * sample_rate))
        self._lags = (int(round(PERIOD_S[0] * sample_rate)), int(round(PERIOD_S[1] * sample_rate)))
        self._recent: list[np.ndarray] = []  # the latest emitted rows, at least the longest lag + context

    def feed(self, t: np.ndarray, values: np.ndarray, final: bool = False) -> list[GridChunk]:
        """Grid rows that are now certain; `final` flushes everything held (end of stream)."""
        t, values = self._sanitise(np.asarray(t, float), np.asarray(values, float))
        chunks: list[GridChunk] = []
        while True:
            if self._t0 is None:
                if not len(t):
                    break
                self._start_segment(t[0], values.shape[1])
            k = np.rint((t - self._t0) / self.dt).astype(np.int64)
            previous = self._k[-1] if len(self._k) else (k[0] - 1 if len(k) else 0)
            jumps = np.flatnonzero(np.diff(k, prepend=previous) > self.max_gap + 1)
            split = int(jumps[0]) if jumps.size else len(t)
            self._hold(k[:split], values[:split])
            breaking = split < len(t)
            chunk = self._emit(final=breaking or final)
            if chunk is not None:
                chunks.append(chunk)
            if not breaking:
                break
            self.dropped["long_gaps"] += 1
            self._t0 = None
            t, values = t[split:], values[split:]
        return chunks

    def _sanitise(self, t: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Drop rows with non-finite values and rows whose time does not move forward."""
        finite = np.isfinite(t + np.einsum("ij->i", values))  # a row sum is finite unless a value is not,
        suspects = np.flatnonzero(~finite)  # or the sum overflowed: check those rows one by one
        finite[suspects] = np.isfinite(t[suspects]) & np.isfinite(values[suspects]).all(axis=1)
        t, values = _keep(t, values, finite, self.dropped, "non_finite_rows")
        forward = t > np.maximum.accumulate(np.concatenate([[self._last_t], t]))[:-1]
        t, values = _keep(t, values, forward, self.dropped, "non_monotonic_rows")
        if len(t):
            self._last_t = t[-1]
        return t, values

    def _start_segment(self, t0: float, channels: int) -> None:
        self._t0 = t0
        self._k = np.empty(0, dtype=np.int64)
        self._v = _Rows(channels)
        self._emitted = 0
        self._fresh = True
        self._recent = []

    def _hold(self, k: np.ndarray, v: np.ndarray) -> None:
        if not len(k):
            return
        keep = np.diff(k, prepend=self._k[-1] if len(self._k) else k[0] - 1) > 0
        k, v = _keep(k, v, keep, self.dropped, "same_instant_rows")
        self._k = np.concatenate([self._k, k]) if len(self._k) else k
        self._v.append(v)

    def _emit(self, final: bool) -> GridChunk | None:
        """Grid samples from `_emitted` on: all when final, else only those whose gaps are decided."""
        k, v = self._k, self._v
        if len(k) < (1 if final else 2):
            return None
        end = k[-1] + 1 if final else k[-2] + 1
        start = self._emitted
        if end <= start:
            return None
        if not final:
            end = self._context_arrived(start, end)
            if end <= start:
                return None
        lo, hi = np.searchsorted(k, [start, end])
        samples = np.empty((v.channels, end - start))
        filled = np.ones(end - start, dtype=bool)
        filled[k[lo:hi] - start] = False
        for first, rows in v.spans(lo, hi):
            present = k[first: first + len(rows)] - start
            if present[-1] - present[0] == len(rows) - 1:  # consecutive: a plain copy
                samples[:, present[0]: present[-1] + 1] = rows.T
            else:
                samples[:, present] = rows.T
        if hi - lo < end - start:  # samples were lost: fill them
            self._fill_gaps(samples, filled, start)
        chunk = GridChunk(self._t0, start, samples, filled, new_segment=self._fresh)
        self._fresh = False
        self._emitted = end
        self._remember(samples)
        # Keep the two raw samples before the emit point for the next gap's cubic.
        keep_from = max(int(np.searchsorted(k, end)) - 2, 0)
        self._k = k[keep_from:]
        v.keep_from(keep_from)
        return chunk

    def _fill_gaps(self, samples: np.ndarray, filled: np.ndarray, start: int) -> None:
        """Fill the `filled` columns of `samples` (grid rows from `start`): a cubic across short
        runs, the previous stride across long ones, what is left at a segment's edge by `_fill`."""
        edge = self._fill_cubic(samples, np.flatnonzero(filled) + start, start)
        for gap_start, gap_end in true_runs(edge):
            samples[:, gap_start:gap_end] = self._fill(start + gap_start, start + gap_end).T
        runs = np.diff(np.concatenate([[0], filled.view(np.int8), [0]]))
        gap_starts, gap_ends = np.flatnonzero(runs == 1), np.flatnonzero(runs == -1)
        long = (gap_ends - gap_starts >= TEMPLATE_MIN_SAMPLES) & ~edge[gap_starts]
        for gap_start, gap_end in zip(gap_starts[long].tolist(), gap_ends[long].tolist(), strict=True):
            self._fill_from_previous_stride(samples, start, start + gap_start, start + gap_end)

    def _fill_cubic(self, samples: np.ndarray, missing: np.ndarray, start: int) -> np.ndarray:
        """Fill every missing sample that has two held samples on each side, all at once.

        Returns a mask (over `samples`) of those left for `_fill`: gaps at a segment's edge.
        """
        k, v = self._k, self._v
        left_over = np.zeros(samples.shape[1], dtype=bool)
        if not len(missing):
            return left_over
        after = np.searchsorted(k, missing)
        support = np.stack([after - 2, after - 1, after, after + 1], axis=1)
        full = (support[:, 0] >= 0) & (support[:, 3] < len(k))
        left_over[missing[~full] - start] = True
        support, x = support[full], missing[full].astype(float)
        xs = k[support].astype(float)
        out = np.zeros((len(x), v.channels))
        for a in range(4):
            weight = np.ones(len(x))
            for b in range(4):
                if a != b:
                    weight = weight * (x - xs[:, b]) / (xs[:, a] - xs[:, b])
            out = out + weight[:, None] * v.take(support[:, a])
        samples[:, missing[full] - start] = out.T
        return left_over

    def _remember(self, samples: np.ndarray) -> None:
        """Keep the emitted rows a later gap may copy: references to small chunks (nothing writes
        to them), a copy of the end of a large one (so its memory can go)."""
        keep = self._lags[1] + self._before
        self._recent.append(samples[:, -keep:].copy() if samples.shape[1] > 4 * keep else samples)
        total = sum(rows.shape[1] for rows in self._recent)
        while total - self._recent[0].shape[1] >= keep:
            total -= self._recent.pop(0).shape[1]

    def _context_arrived(self, start: int, end: int) -> int:
        """End of the rows that can be emitted now: before the first long gap whose samples
        after it (AFTER_SAMPLES) have not all arrived."""
        k = self._k
        lo, hi = np.searchsorted(k, [start, end])
        present = k[max(lo - 1, 0): hi]
        if present[-1] - present[0] == len(present) - 1:
            return end  # no gap
        steps = np.diff(present)
        for i in np.flatnonzero(steps > TEMPLATE_MIN_SAMPLES):
            if present[i + 1] + AFTER_SAMPLES - 1 > k[-1]:
                return int(max(present[i] + 1, start))
        return end

    def _fill_from_previous_stride(self, samples: np.ndarray, start: int, lo: int, hi: int) -> None:
        """Fill grid rows [lo, hi) (absolute) from one stride earlier (module docstring)."""
        n, before = hi - lo, self._before
        history = np.concatenate(self._recent, axis=1) if self._recent else samples[:, :0]
        first = start - history.shape[1]  # absolute index of the oldest row at hand
        longest = min(self._lags[1], lo - before - first)
        shortest = max(self._lags[0], n + AFTER_SAMPLES)
        if longest < shortest:
            return  # too early in the segment: the cubic stays
        at = lo - longest - before  # absolute index of the window's first row
        recent = samples[:, max(at - start, 0): lo - start]
        window = np.concatenate([history[:, at - first:], recent], axis=1) if at < start else recent
        a, b = np.searchsorted(self._k, [hi, hi + AFTER_SAMPLES])
        after = self._k[a:b] - hi  # observed rows just after the gap
        target = np.concatenate([window[:, -before:], self._v.take(np.arange(a, b)).T], axis=1)
        lags = np.arange(longest, shortest - 1, -1)
        # Matched on the gyros (IMU rows: six channels a sensor, gyro last; any other rows: all
        # of them), every other sample before the gap at high rates.
        step = 2 if self._before >= 15 else 1
        earlier = np.arange(before - 1, -1, -step)[::-1]
        picks = np.concatenate([earlier, before + n + after])  # rows from lo - before
        gyro = np.arange(window.shape[0]) % 6 >= 3 if window.shape[0] % 6 == 0 else slice(None)
        columns = longest + picks[None, :] - lags[:, None]  # (lags, picks)
        wanted = target[gyro][:, np.concatenate([earlier, before + np.arange(len(after))])]
        misfit = window[gyro][:, columns] - wanted[:, None]
        lag = lags[np.argmin(np.einsum("clp,clp->l", misfit, misfit))]
        source = window[:, window.shape[1] - lag: window.shape[1] - lag + n + 1]
        edge0 = target[:, before - 1] - window[:, -1 - lag]
        edge1 = target[:, before] - source[:, n] if after.size and after[0] == 0 else edge0
        ramp = np.arange(1, n + 1) / (n + 1)
        samples[:, lo - start: hi - start] = source[:, :n] + edge0[:, None] + (edge1 - edge0)[:, None] * ramp

    def _fill(self, lo: int, hi: int) -> np.ndarray:
        k, v = self._k, self._v
        after = int(np.searchsorted(k, hi))
        before = after - 1
        support = [i for i in (before - 1, before, after, after + 1) if 0 <= i < len(k)]
        xs = k[support].astype(float)
        return lagrange(xs, v.take(np.array(support)), np.arange(lo, hi, dtype=float))


class _Rows:
    """Raw rows held by the resampler: the few kept from before and the newest feed, in order,
    without copying the feed onto them."""

    def __init__(self, channels: int) -> None:
        self.channels = channels
        self._parts: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(part) for part in self._parts)

    def append(self, rows: np.ndarray) -> None:
        if len(rows):
            self._parts.append(rows)

    def spans(self, lo: int, hi: int) -> list[tuple[int, np.ndarray]]:
        """Rows lo..hi as (index of the first, rows) pieces."""
        out, first = [], 0
        for part in self._parts:
            a, b = max(lo - first, 0), min(hi - first, len(part))
            if a < b:
                out.append((first + a, part[a:b]))
            first += len(part)
        return out

    def take(self, index: np.ndarray) -> np.ndarray:
        out = np.empty((len(index), self.channels))
        for first, rows in self.spans(0, len(self)):
            mine = (index >= first) & (index < first + len(rows))
            out[mine] = rows[index[mine] - first]
        return out

    def keep_from(self, lo: int) -> None:
        """Drop rows before lo; the few left are copied so the feed they came from can go."""
        kept = [rows for _, rows in self.spans(lo, len(self))]
        self._parts = [np.concatenate(kept)] if kept else []


def _keep(t: np.ndarray, values: np.ndarray, keep: np.ndarray, dropped: Counter,
          reason: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows where `keep`, counting the others under `reason` (no copy when all are kept)."""
    lost = len(keep) - int(np.count_nonzero(keep))
    dropped[reason] += lost
    return (t[keep], values[keep]) if lost else (t, values)


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))
