"""The stride engine: samples in (any chunking), finished strides out, batch = streaming.

Pipeline per segment of gap-free grid samples (one file per hop, see docs/metrics.md):

1. `calibration` per 2-second block, from earlier blocks only: flexion axis per
   sensor, long axis and gyro bias from the latest standing-still block.
2. Per sample: gyro and accelerometer along the long axis and its normal plane,
   de-twisted; flexion rate w integrated to φ, sagittal specific force turned by φ
   (P, Q); per-leg gyro fault flags.
3. `events`: mid-swing peaks, IC, TO per leg.
4. `strides`: per-stride orientation and SPEC §5 metrics, vectorised.
5. Running check, zones, symmetry.

Every decision reads a fixed window of data around an event and is taken only
once that window has arrived, so the output is the same whatever the chunk
sizes; `analyze` is simply one feed of the whole recording. Buffers are trimmed
behind the oldest open event: memory is bounded however long the session.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import lfilter

from metrics.core import calibration as cal
from metrics.core.anchors import (
    IMPACT_NEAR_S,
    REACH_S,
    SHORT_HOLE_SAMPLES,
    Anchors,
    GapRuns,
    Resolved,
    anchor,
)
from metrics.core.declip import Declipper
from metrics.core.events import initial_contacts, midswing_peaks, seconds, toe_offs
from metrics.core.growing import GrowingRows
from metrics.core.recording import Recording
from metrics.core.resample import GridChunk, GridResampler
from metrics.core.strides import (
    FLIGHT_LEAD_S,
    METRICS,
    Body,
    SegmentSignals,
    StrideBatch,
    orientation_window,
    own_orientation,
    peak_samples,
    stride_metrics,
    turned_force,
)
from metrics.core.symmetry import SymmetryTracker
from metrics.core.zones import ZoneTable, pace_bands

SENSORS = ("left_thigh", "left_shank", "right_thigh", "right_shank")
LEGS = ("left", "right")
BLOCK_S = 2.0
AXIS_BLOCKS = 10  # flexion axis from the last 20 s of motion
AXIS_MIN_SAMPLES_S = 2.0
# A gyro holding one large value for 4+ samples sits on its rail (3 equal samples happen at a
# smooth peak, or when a device repeats a reading).
GYRO_RAIL_MIN_DPS = 300.0
GYRO_RAIL_SAMPLES = 4
# A running stride (SPEC §5: standing, walking and shuffles produce none): cadence at least
# 140 steps/min, a flight phase (contact under half the stride) and a real kickback.
RUNNING_STRIDE_S = (0.38, 0.86)
RUNNING_MAX_DUTY = 0.47
RUNNING_MIN_KICKBACK_DEG = 70.0
STRIDE_S = (0.3, 1.5)
KEEP_S = 4.0  # history kept behind the oldest open event
# High-pass of the twist angle: about one stride, so an error integrated across a gap (where
# the long-axis rate was filled, not measured) is gone a stride later rather than seconds later.
TWIST_TAU_S = 0.75
IMPACT_S = 0.06  # lost samples this soon after IC hide the impact: the stride cannot anchor itself
HORIZON_S = 1.5  # every stride that ends this long before the data does has been found
LOW_ABOVE_DEG = 2.0  # a stride whose peaks are known to worse than this (one sigma) is low-quality
UNBOUNDED_DEG = 15.0  # … and one whose kickback is known to worse than this is not reported (a
# knee elevation that uncertain leaves the stride low-quality: its kickback and timing still hold)
# A long feed is handled PUSH_SAMPLES at a time (arrays stay in cache and the allocator reuses them),
# and scanned for strides every SCAN_SAMPLES (the fixed cost of a scan is spread over many strides).
PUSH_SAMPLES = 16384
SCAN_SAMPLES = 32768


@dataclass(slots=True)
class Stride:
    leg: str
    t_start: float
    t_toe_off: float
    t_end: float
    kickback_deg: float
    shank_back_deg: float
    heel_rise_cm: float
    knee_elevation_deg: float
    knee_rise_cm: float
    cadence_spm: float
    contact_ms: int
    speed_mps: float
    pace_band: str
    zone: dict[str, str]
    symmetry_pct: dict[str, float | None] = field(default_factory=dict)
    # How much of the stride was observed and how far its peaks can be trusted (SPEC §6).
    quality: dict = field(default_factory=dict)
    # Thigh and shank angles (deg) from IC at 25 Hz, for live charts; not part of SPEC §6.
    trace_deg: np.ndarray = field(default_factory=lambda: np.empty((2, 0)), repr=False, compare=False)

    @property
    def trace(self) -> dict[str, list[float]]:
        return {"thigh": self.trace_deg[0].tolist(), "shank": self.trace_deg[1].tolist()}

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "trace_deg"}
        out["zone"], out["symmetry_pct"] = dict(self.zone), dict(self.symmetry_pct)
        out["quality"] = dict(self.quality)
        return out

    @property
    def low_quality(self) -> bool:
        return bool(self.quality.get("low", False))


def estimate_sample_rate(t: np.ndarray) -> float:
    """Sample rate from the median time step (robust to lost rows)."""
    steps = np.diff(t)
    steps = steps[steps > 0]
    if len(steps) < 8:
        raise ValueError("too few samples to tell the sample rate")
    return float(1.0 / np.median(steps))


@dataclass
class _Flexion:
    """Per block (k) and sensor: the flexion axis, cos β·u + sin β·v in the plane basis (u, v)
    normal to the long axis (calibration.plane_basis)."""

    cos: np.ndarray  # (k, sensors)
    sin: np.ndarray

    def __getitem__(self, blocks: slice) -> _Flexion:
        return _Flexion(self.cos[blocks], self.sin[blocks])

    @staticmethod
    def join(parts: list[_Flexion]) -> _Flexion:
        return _Flexion(np.concatenate([p.cos for p in parts]), np.concatenate([p.sin for p in parts]))


class _BlockCalibration:
    """Per-block statistics and the frame and flexion axis they give each next block.

    A block is seen with the long axis and gyro bias of the latest standing block before
    it (`frames`), which fixes its twist; its de-twisted gyro then joins the flexion-axis
    estimate of the blocks after it (`add_blocks`).
    """

    def __init__(self, rate: float) -> None:
        self.block = int(round(BLOCK_S * rate))
        self.min_moving = int(AXIS_MIN_SAMPLES_S * rate)
        self.moments = np.zeros((AXIS_BLOCKS - 1, 4, 3, 3))  # the latest blocks' statistics
        self.counts = np.zeros((AXIS_BLOCKS - 1, 4), dtype=np.int64)
        self.standing = (np.full((4, 3), np.nan), np.zeros((4, 3)))  # (accel, gyro) means, or NaN
        self.current = self._flexion(self.moments.sum(axis=0)[None], self.counts.sum(axis=0)[None],
                                     cal.long_axes(self.standing[0][None]))
        self._unchanged = self._stacked(*self.frames([]))

    def frames(self, parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
        """The (long axis, gyro bias) each piece of samples is seen with — the block in progress,
        then the one after each complete block, (k + 1, sensors, 3) each — from the latest
        standing block before it, and the standing means after the last complete block. The
        complete blocks come in order as (24 channels, k, block) arrays."""
        stats = [self._standing(blocks) for blocks in parts if blocks.shape[1]]
        still = np.concatenate([[True], *(s[0] for s in stats)])
        f_mean = np.concatenate([self.standing[0][None], *(s[1] for s in stats)])
        g_mean = np.concatenate([self.standing[1][None], *(s[2] for s in stats)])
        latest = np.maximum.accumulate(np.where(still, np.arange(len(f_mean)), 0))
        return cal.long_axes(f_mean[latest]), g_mean[latest], (f_mean[latest[-1]], g_mean[latest[-1]])

    def pieces_frames(self, parts: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        """`frames` as (long axis, rows, gyro bias, standing means), the rows (long axis, plane
        basis) stacked (pieces, sensors, 3 rows, 3); most pushes complete no block and reuse
        those of the block in progress (`_unchanged`, kept until the next block completes)."""
        return self._stacked(*self.frames(parts)) if parts else self._unchanged

    @staticmethod
    def _stacked(along: np.ndarray, bias: np.ndarray, standing: tuple) -> tuple:
        return along, np.stack([along, *cal.plane_basis(along)], axis=2), bias, standing

    @staticmethod
    def _standing(blocks: np.ndarray) -> tuple[np.ndarray, ...]:
        return cal.standing_means(blocks.reshape(4, 6, *blocks.shape[1:])[:, :3], *_gyro_of(blocks))

    def add_blocks(self, moments: np.ndarray, counts: np.ndarray, along: np.ndarray,
                   standing: tuple[np.ndarray, ...]) -> _Flexion:
        """Take complete blocks' gyro moments, the long axis after each and the standing means
        after the last (`frames`); the flexion axis after each block."""
        # Sums over the last AXIS_BLOCKS blocks, always adding the same blocks in the same order.
        moments = np.concatenate([self.moments, moments])
        counts = np.concatenate([self.counts, counts])
        moment_sum = sliding_window_view(moments, AXIS_BLOCKS, axis=0).sum(axis=-1)
        count_sum = sliding_window_view(counts, AXIS_BLOCKS, axis=0).sum(axis=-1)
        self.moments, self.counts = moments[-(AXIS_BLOCKS - 1):], counts[-(AXIS_BLOCKS - 1):]
        self.standing = standing
        self._unchanged = self._stacked(*self.frames([]))
        flexion = self._flexion(moment_sum, count_sum, along)
        self.current = flexion[-1:]
        return flexion

    def _flexion(self, moment: np.ndarray, count: np.ndarray, along: np.ndarray) -> _Flexion:
        return _Flexion(*cal.flexion_angles(moment, count, self.min_moving, along))


_BUFFERS = ("shank_accel", "phi", "p", "q", "ws", "filled", "clipped", "flat", "rail")


@dataclass
class _Found:
    """Strides of one leg found in the grid (indices into their segment), before labelling."""

    side: int  # 0 left, 1 right
    start: np.ndarray
    toe_off: np.ndarray
    end: np.ndarray
    values: np.ndarray  # (strides.METRICS, n)
    trace: np.ndarray  # (n, 2, k) thigh, shank
    quality: dict[str, np.ndarray]  # Segment._quality, and "waited" for a later anchor


@dataclass
class _Waiting:
    """Strides of one leg found but not yet anchored (absolute indices), in order."""

    start: np.ndarray
    toe: np.ndarray
    end: np.ndarray
    kick_peak: np.ndarray  # samples of the two peaks (strides.peak_samples)
    knee_peak: np.ndarray
    own: np.ndarray  # anchored by its own window
    own_k: np.ndarray  # (n, 2)
    contact_in_gap: np.ndarray  # a foot strike within IMPACT_NEAR_S of a lost run
    faults: np.ndarray  # skip reason from the sensors or a walking shape, or ""

    @classmethod
    def empty(cls) -> _Waiting:
        none = np.empty(0, dtype=np.int64)
        no = np.empty(0, dtype=bool)
        return cls(none, none, none, none, none, no, np.empty((0, 2)), no, np.empty(0, dtype="<U16"))

    def join(self, other: _Waiting) -> _Waiting:
        return _Waiting(*(np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                          for f in fields(self)))

    def pick(self, mask: np.ndarray) -> _Waiting:
        return _Waiting(*(getattr(self, f.name)[mask] for f in fields(self)))


class _Segment:
    """Grid samples of one gap-free segment and the per-leg event state.

    Per-sample arrays are channels × samples, so every per-channel step runs on one
    contiguous row.
    """

    def __init__(self, rate: float, calibration: _BlockCalibration) -> None:
        self.rate = rate
        self.cal = calibration
        self.offset = 0  # absolute grid index of sample 0
        self.tail = np.empty((24, 0))  # the latest raw samples: the block in progress, fault context
        # Per-sample buffers, each a view of its store in `_buffers` (growing.py):
        self.shank_accel = np.empty((6, 0))  # raw specific force of the left, then right shank
        self.phi = np.empty((4, 0))
        self.p = np.empty((4, 0))  # specific force turned by φ (strides.turned_force)
        self.q = np.empty((4, 0))
        self.ws = np.empty((4, 0))
        self.filled = np.empty(0, dtype=bool)  # interpolated across lost samples
        self.clipped = np.empty(0, dtype=bool)  # accelerometer clipped beyond repair
        self.flat = np.empty((2, 0), dtype=bool)  # per leg: a gyro repeated its previous sample
        self.rail = np.empty((2, 0), dtype=bool)  # per leg: a gyro sat on a large value (its rail)
        self._buffers = {name: GrowingRows(getattr(self, name).shape[:-1], getattr(self, name).dtype.type)
                         for name in _BUFFERS}
        self.declipper = Declipper()
        self.twist_state = np.zeros((4, 1))
        self.rate_tail = np.empty((3, 4, 0))  # de-twisted gyro (x, y, moving) of the block in progress
        self._work: dict[str, np.ndarray] = {}
        self.scan_from = {leg: 0 for leg in LEGS}
        self.pending = {leg: np.empty(0, dtype=np.int64) for leg in LEGS}
        self.last = {leg: None for leg in LEGS}  # (midswing, ic) of the leg's last contact
        self.anchors = {leg: Anchors.empty() for leg in LEGS}  # self-anchored strides (anchors.py)
        self.waiting = {leg: _Waiting.empty() for leg in LEGS}  # found, not yet anchored
        self._derived: tuple[tuple, dict] = ((), {})  # from `filled`, until the buffer changes

    def _scratch(self, name: str, rows: tuple[int, ...], n: int) -> np.ndarray:
        """A work array (*rows, n) reused from push to push: fresh multi-megabyte temporaries
        cost page faults every time the allocator hands memory back to the system."""
        work = self._work.get(name)
        if work is None or work.shape[-1] < n:
            work = self._work[name] = np.empty((*rows, max(n, PUSH_SAMPLES)))
        return work[..., :n]

    @property
    def held(self) -> int:
        return self.ws.shape[1]

    @property
    def end(self) -> int:
        return self.offset + self.held

    @property
    def unscanned(self) -> int:
        """Samples pushed since strides were last looked for."""
        return self.end - min(self.scan_from.values())

    def push(self, samples: np.ndarray, filled: np.ndarray, final: bool = False) -> None:
        """Append grid samples (24, n) (declipped HOLD samples late) with their per-sample signals."""
        channels, filled, clipped = self.declipper.push(samples, filled, final)
        if not channels.shape[1]:
            return
        flat, rail = self._gyro_faults(channels)
        ws, phi, p, q = self._signals(*self._project(channels, filled))
        self.tail = np.concatenate([self.tail, channels[:, -self.cal.block:]], axis=1)[:, -self.cal.block:]
        shank_accel = channels.reshape(4, 6, -1)[1::2, :3].reshape(6, -1)
        new_samples = (shank_accel, phi, p, q, ws, filled, clipped, flat, rail)  # as _BUFFERS
        for name, new in zip(_BUFFERS, new_samples, strict=True):
            setattr(self, name, self._buffers[name].append(new))

    def _project(self, channels: np.ndarray, filled: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per sensor (4, n): flexion rate w (deg/s) and the specific force along the long (f_a)
        and forward (f_b) axes (m/s²), each sample with the calibration of the blocks before it.

        Gyro and accelerometer are taken along the long axis and the plane basis (u, v) normal
        to it, turned back by the twist ψ, then the flexion axis is the angle β in that plane:
        w = cos β·x + sin β·y and f_b = sin β·x_f − cos β·y_f for de-twisted (x, y).
        Blocks are counted from the segment's start; a block's statistics serve from the next
        block on, so the result never depends on how the samples were chunked. The samples
        fall in pieces: the rest of the block in progress, whole blocks, the start of the next.
        """
        size, n = self.cal.block, channels.shape[1]
        done = self.end % size  # samples of the block in progress already held
        head = min(size - done, n)
        full = (n - head) // size
        pieces = [(slice(0, head), 1, 0), (slice(head, head + full * size), full, 1),
                  (slice(head + full * size, n), 1, 1 + full)]
        pieces = [piece for piece in pieces if piece[0].stop > piece[0].start]
        blocks = []  # the raw samples of the blocks this push completes
        if done + n >= size:
            blocks.append(np.concatenate([self.tail[:, self.tail.shape[1] - done:], channels[:, :head]],
                                         axis=1)[:, None])
            blocks.append(channels[:, head: head + full * size].reshape(24, full, size))
        along, frames, bias, standing = self.cal.pieces_frames(blocks)
        imu = channels.reshape(4, 6, n)
        rate = _frame_components(imu[:, 3:], pieces, frames, bias, self._scratch("rate", (3, 4), n))
        force = _frame_components(imu[:, :3], pieces, frames, None, self._scratch("force", (3, 4), n))
        cos, sin = self._twist(rate[0])
        x, y = cal.detwist(rate[1], rate[2], cos, sin)
        # Filled samples stay out of the flexion axis: a lost swing is guessed, not measured.
        moving = ((rate**2).sum(axis=0) > cal.MOVING_DPS**2) & ~filled
        flexion = self.cal.current
        detwisted = np.stack([x, y, moving])
        if blocks:
            held = self.rate_tail[:, :, self.rate_tail.shape[2] - done:]
            first = np.concatenate([held, detwisted[:, :, :head]], axis=2)[:, :, None]
            middle = detwisted[:, :, head: head + full * size].reshape(3, 4, full, size)
            moments, counts = cal.gyro_moments(*np.concatenate([first, middle], axis=2), along[: 1 + full])
            flexion = _Flexion.join([flexion, self.cal.add_blocks(moments, counts, along[1:], standing)])
        self.rate_tail = np.concatenate([self.rate_tail, detwisted], axis=2)[:, :, -size:]
        x_f, y_f = cal.detwist(force[1], force[2], cos, sin)
        # Forward = flexion axis × long axis: the flexion direction of the components turned by 90°.
        return (_along_flexion(flexion, pieces, x, y), force[0],
                _along_flexion(flexion, pieces, -y_f, x_f))

    def _signals(self, w: np.ndarray, f_a: np.ndarray, f_b: np.ndarray) -> tuple[np.ndarray, ...]:
        """(w, φ, P, Q) per sensor: flexion rate, its integral, sagittal specific force turned by φ."""
        steps = np.empty_like(w)
        steps[:, 0] = w[:, 0] + (self.ws[:, -1] if self.held else w[:, 0])
        np.add(w[:, :-1], w[:, 1:], out=steps[:, 1:])
        steps *= 0.5 * np.radians(1.0) / self.rate
        if self.held:
            steps[:, 0] += self.phi[:, -1]
        phi = np.cumsum(steps, axis=1)
        return (w, phi, *turned_force(f_a, f_b, phi))

    def _twist(self, long_axis_rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """cos ψ and sin ψ (computed in float32) of each sensor's twist ψ: the long-axis rate integrated,
        minus its slow mean m (a first-order high-pass).

        With steps s = rate·dt, the integral r and m[n] = (1 − α)·m[n−1] + α·r[n], the
        difference ψ = r − m obeys ψ[n] = (1 − α)·(ψ[n−1] + s[n]): one first-order filter.
        """
        steps = long_axis_rate * (np.radians(1.0) / self.rate)
        alpha = 1 / (TWIST_TAU_S * self.rate)
        twist, self.twist_state = lfilter([1 - alpha], [1, alpha - 1], steps, axis=1, zi=self.twist_state)
        twist = twist.astype(np.float32)  # float32 trig: 1e-7 rad is plenty; widened once (exactly)
        return np.cos(twist).astype(np.float64), np.sin(twist).astype(np.float64)  # for 8 products

    def _gyro_faults(self, channels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per leg and sample: a gyro repeated its previous sample on every axis (flat), or held
        one value of at least GYRO_RAIL_MIN_DPS over GYRO_RAIL_SAMPLES samples (its rail)."""
        held = GYRO_RAIL_SAMPLES - 1
        context = min(self.tail.shape[1], held)
        gyro = np.concatenate([self.tail.reshape(4, 6, -1)[:, 3:, self.tail.shape[1] - context:],
                               channels.reshape(4, 6, -1)[:, 3:]], axis=2)
        same = gyro[:, :, 1:] == gyro[:, :, :-1]
        flat = np.zeros((4, gyro.shape[2]), dtype=bool)
        flat[:, 1:] = same[:, 0] & same[:, 1] & same[:, 2]
        on_rail = np.abs(gyro[:, :, held:]) >= GYRO_RAIL_MIN_DPS
        for lag in range(held):
            on_rail &= same[:, :, lag: same.shape[2] - held + 1 + lag]
        rail = np.zeros_like(flat)
        rail[:, held:] = on_rail[:, 0] | on_rail[:, 1] | on_rail[:, 2]
        return tuple(np.stack([x[0, context:] | x[1, context:], x[2, context:] | x[3, context:]])
                     for x in (flat, rail))

    def find_strides(self, body: Body, final: bool, skipped: Counter) -> list[_Found]:
        found = [self._leg_strides(side, body, skipped, final) for side in range(len(LEGS))]
        if final:
            self.pending = {leg: np.empty(0, dtype=np.int64) for leg in LEGS}
        self._trim()
        return [f for f in found if f is not None]

    def _leg_strides(self, side: int, body: Body, skipped: Counter, final: bool) -> _Found | None:
        leg, thigh, shank = LEGS[side], 2 * side, 2 * side + 1
        rate, off = self.rate, self.offset
        ws = self.ws[shank]
        half = seconds(0.2, rate)
        peaks = midswing_peaks(ws, self.scan_from[leg] - off, len(ws) - half, rate) + off
        self.scan_from[leg] = max(self.scan_from[leg], self.end - half)
        if not (len(peaks) or len(self.pending[leg]) or len(self.waiting[leg].start)):
            return None  # no swing in progress, none waiting (most of a live feed's frames)
        pending = np.concatenate([self.pending[leg], peaks])
        ics, resolved = initial_contacts(ws, self.shank_accel[3 * side: 3 * side + 3], pending - off, rate)
        self.pending[leg] = pending[resolved:]
        start, mid, end = (x - off for x in self._chain(leg, pending[:resolved], ics + off))
        signals = [SegmentSignals(self.ws[s], self.phi[s], self.p[s], self.q[s]) for s in (thigh, shank)]
        if len(start):
            self._wait(leg, side, body, signals, start, toe_offs(self.phi[thigh], start, mid, rate), end)
        waiting = self.waiting[leg]
        if not len(waiting.start):
            return None
        w_start, w_toe, w_end = waiting.start - off, waiting.toe - off, waiting.end - off
        peak = {"kickback": waiting.kick_peak, "knee_elevation": waiting.knee_peak}
        if waiting.own.all():  # the common case, every stride anchors itself: nothing to weigh
            settled = Resolved.own(waiting.own_k)
        else:
            lead = int(round(FLIGHT_LEAD_S * rate))
            known_contacts = np.concatenate([waiting.start, waiting.end, self.anchors[leg].first + lead])
            gaps = GapRuns.of(self._runs(), off, rate, known_contacts)
            horizon = final | (self.end - waiting.end >= (REACH_S + HORIZON_S) * rate)
            settled = anchor(waiting.own, waiting.own_k, waiting.start, waiting.end, peak, self.anchors[leg],
                             gaps, rate, horizon)
        done = settled.done
        self.waiting[leg] = waiting.pick(~done)
        if not done.any():
            return None
        start, toe, end = w_start[done], w_toe[done], w_end[done]
        peaks_done = {metric: p[done] - off for metric, p in peak.items()}
        batch = stride_metrics(*signals, start, toe, end, body, rate, settled.k[done], peaks_done)
        uncertainty = {metric: u[done] for metric, u in settled.uncertainty.items()}
        quality = self._quality(start, end, peaks_done, uncertainty)
        faults = waiting.faults[done]
        reason = np.where((faults == "") & ~settled.found[done], "implausible_orientation", faults)
        reason = np.where(reason == "", _not_running(batch, end - start, rate), reason)
        unbounded = uncertainty["kickback"] > UNBOUNDED_DEG
        reason = np.where((reason == "") & unbounded, "peak_unbounded", reason)
        skipped.update(reason[reason != ""].tolist())
        keep = reason == ""
        quality["waited"] = settled.waited[done]
        quality["contact_in_gap"] = waiting.contact_in_gap[done]
        return _Found(side, start[keep] + off, toe[keep] + off, end[keep] + off,
                      np.stack([getattr(batch, name)[keep] for name in METRICS]), batch.trace[keep],
                      {name: values[keep] for name, values in quality.items()})

    def _wait(self, leg: str, side: int, body: Body, signals: list[SegmentSignals], start: np.ndarray,
              toe: np.ndarray, end: np.ndarray) -> None:
        """Queue newly found strides (buffer indices) for anchoring; the self-anchored ones also
        become anchors for their neighbours."""
        off, rate = self.offset, self.rate
        faults = self._sensor_faults(start, end, side)
        own_k, plausible = own_orientation(*signals, start, end, body, rate)
        first, last = orientation_window(start, end, rate)
        # An anchor must be a running stride whose window and both foot strikes were observed:
        # a strike lost in a gap is found late or early, and a window that starts in stance
        # instead of flight tilts k. An untrusted stride is judged running with the k its
        # neighbours give it, once anchored (`_not_running`), not with its own.
        peaks = peak_samples(*signals, toe, end)
        running = _running_shape(signals, start, toe, end, peaks["kickback"], own_k, rate)
        contact_in_gap = self._unobserved(np.stack([start, end])).any(axis=0)
        trusted = plausible & (faults == "") & self._observed(first, last, start) & ~contact_in_gap
        own = trusted & running
        oldest = min([int(start[0]) + off, *self.waiting[leg].start[:1].tolist()])
        self.anchors[leg] = self.anchors[leg].add(first[own] + off, last[own] + off, own_k[own],
                                                  keep_from=oldest - int(2 * REACH_S * rate))
        self.waiting[leg] = self.waiting[leg].join(_Waiting(
            start + off, toe + off, end + off, peaks["kickback"] + off, peaks["knee_elevation"] + off,
            own, own_k, contact_in_gap,
            np.where(faults == "clipped", "", np.where(trusted & ~running, "not_running", faults))))

    def _observed(self, first: np.ndarray, last: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Per stride: its orientation window holds no gap longer than SHORT_HOLE_SAMPLES (single
        lost instants of interleaved notifications are filled well) and none at all at its impact."""
        longest = self._longest_hole(np.maximum(first, 0), last)
        filled = self._filled_count()
        impact_end = np.minimum(start + seconds(IMPACT_S, self.rate), len(self.filled))
        return (longest <= SHORT_HOLE_SAMPLES) & (filled[impact_end] == filled[np.maximum(first, 0)])

    def _unobserved(self, contact: np.ndarray) -> np.ndarray:
        """Per foot strike (buffer index): a run of more than SHORT_HOLE_SAMPLES lost samples lies
        within IMPACT_NEAR_S of it, where the impact it was found by may have been lost."""
        near = seconds(IMPACT_NEAR_S, self.rate)
        long_lost = self._long_lost()
        size = len(self.filled)
        return long_lost[np.minimum(contact + near + 1, size)] > long_lost[np.maximum(contact - near, 0)]

    def _long_lost(self) -> np.ndarray:
        """Running count (0 first) of the samples in runs of more than SHORT_HOLE_SAMPLES lost ones."""
        def count() -> np.ndarray:
            starts, ends = self._runs()
            long = ends - starts > SHORT_HOLE_SAMPLES
            if not long.any():  # the common case: nothing lost, or single instants only
                return np.zeros(len(self.filled) + 1, dtype=np.int64)
            marks = np.zeros(len(self.filled) + 1, dtype=np.int64)
            np.add.at(marks, starts[long], 1)
            np.add.at(marks, ends[long], -1)
            return np.concatenate([[0], np.cumsum(np.cumsum(marks[:-1]))])

        return self._from_filled("long_lost", count)

    def _from_filled(self, name: str, compute):
        """A quantity derived from `filled`, computed once until the buffer changes."""
        key = (self.offset, len(self.filled))
        if self._derived[0] != key:
            self._derived = (key, {})
        values = self._derived[1]
        if name not in values:
            values[name] = compute()
        return values[name]

    def _quality(self, start: np.ndarray, end: np.ndarray, peak: dict[str, np.ndarray],
                 uncertainty: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per stride (buffer indices): how much of it was observed and how far its peaks can be trusted."""
        filled = self._filled_count()
        # The peak or a neighbour of its parabola was not observed.
        around = np.stack(list(peak.values()))[:, None] + np.array([-1, 0, 1])[:, None]
        near = self.filled[np.minimum(np.maximum(around, 0), len(self.filled) - 1)].any(axis=(0, 1))
        kick, knee = uncertainty["kickback"], uncertainty["knee_elevation"]
        return {
            "missing_pct": 100 * (filled[end] - filled[start]) / (end - start),
            "longest_gap_ms": 1000 * self._longest_hole(start, end) / self.rate,
            "gap_at_peak": near,
            "kickback_uncertainty_deg": kick,
            "knee_elevation_uncertainty_deg": knee,
            "low": np.maximum(kick, knee) > LOW_ABOVE_DEG,
        }

    def _chain(self, leg: str, peaks: np.ndarray, ics: np.ndarray) -> tuple[np.ndarray, ...]:
        """Strides (start, mid-swing, end) between consecutive contacts of one leg.

        Each resolved mid-swing peak brings its IC (absolute indices; before the buffer where
        the swing never ended, which breaks the chain). A contact counts once (a later peak
        giving the same or an earlier IC is ignored); two consecutive contacts make a stride
        when the second one's swing starts after the first IC and the stride lasts STRIDE_S.
        """
        last = self.last[leg]
        if last is not None:
            peaks, ics = np.concatenate([[last[0]], peaks]), np.concatenate([[last[1]], ics])
        if not len(peaks):
            return np.empty((3, 0), dtype=np.int64)
        broken = ics < self.offset
        chain = np.cumsum(broken)
        key = np.where(broken, -1, ics) + chain * (1 << 40)  # ICs rise within a chain, restart after
        accepted = np.flatnonzero(~broken & (key > np.concatenate([[-1], np.maximum.accumulate(key)[:-1]])))
        self.last[leg] = None
        if accepted.size and chain[accepted[-1]] == chain[-1]:
            self.last[leg] = (int(peaks[accepted[-1]]), int(ics[accepted[-1]]))
        prev, cur = accepted[:-1], accepted[1:]
        stride_s = (ics[cur] - ics[prev]) / self.rate
        ok = ((chain[prev] == chain[cur]) & (ics[prev] < peaks[cur])
              & (STRIDE_S[0] <= stride_s) & (stride_s <= STRIDE_S[1]))
        return ics[prev][ok], peaks[cur][ok], ics[cur][ok]

    def _longest_hole(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Longest run of interpolated samples inside each [start, end]: 1 where only single lost
        instants are (interleaved notifications), else the longest overlap with a longer run
        (those are few: a handful per window at most)."""
        runs_start, runs_end = self._runs()
        longer = runs_end - runs_start > 1
        runs_start, runs_end = runs_start[longer], runs_end[longer]
        filled = self._filled_count()
        longest = (filled[np.minimum(end + 1, len(filled) - 1)] > filled[start]).astype(np.int64)
        first = np.searchsorted(runs_end, start, side="right")  # first run ending after start
        last = np.searchsorted(runs_start, end, side="right")  # runs starting at or before end
        for k in range(int((last - first).max(initial=0))):
            j = np.minimum(first + k, max(len(runs_start) - 1, 0))
            overlap = np.minimum(runs_end[j], end + 1) - np.maximum(runs_start[j], start)
            longest = np.where(first + k < last, np.maximum(longest, overlap), longest)
        return longest

    def _filled_count(self) -> np.ndarray:
        """Running count (0 first) of filled samples in the buffer."""
        return self._from_filled("count", lambda: np.concatenate([[0], np.cumsum(self.filled)]))

    def _runs(self) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) of each run of filled samples in the buffer."""
        def runs() -> tuple[np.ndarray, np.ndarray]:
            edges = np.diff(np.concatenate([[0], self.filled.astype(np.int8), [0]]))
            return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)

        return self._from_filled("runs", runs)

    def _sensor_faults(self, start: np.ndarray, end: np.ndarray, side: int) -> np.ndarray:
        """Per stride: "sensor_flat", "saturated" (gyro on its rail), "clipped" or ""."""
        lo = int(start.min()) + 1  # counts over the strides' span only

        def inside(flag: np.ndarray) -> np.ndarray:
            count = np.concatenate([[0], np.cumsum(flag[lo: int(end.max()) + 1])])
            return count[end + 1 - lo] - count[start + 1 - lo]

        return np.where(inside(self.flat[side]) >= end - start, "sensor_flat",
                        np.where(inside(self.rail[side]) > 0, "saturated",
                                 np.where(inside(self.clipped) > 0, "clipped", "")))

    def _trim(self) -> None:
        """Drop history behind every open event (bounded memory)."""
        marks = [self.end]
        for leg in LEGS:
            marks.append(self.scan_from[leg])
            if len(self.pending[leg]):
                marks.append(int(self.pending[leg][0]))
            if self.last[leg] is not None:
                marks.append(self.last[leg][1])
            if len(self.waiting[leg].start):
                marks.append(int(self.waiting[leg].start[0]))
        keep_from = min(marks) - int(KEEP_S * self.rate)
        drop = keep_from - self.offset
        if drop > 2 * self.rate * KEEP_S:
            for name in _BUFFERS:
                setattr(self, name, self._buffers[name].drop(drop))
            self.offset += drop


def _gyro_of(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gyro (sensors, 3, ...) of raw channels (24, ...) and its squared norm."""
    gyro = raw.reshape(4, 6, *raw.shape[1:])[:, 3:]
    return gyro, gyro[:, 0] ** 2 + gyro[:, 1] ** 2 + gyro[:, 2] ** 2


def _frame_components(vectors: np.ndarray, pieces: list, frames: np.ndarray, bias: np.ndarray | None,
                      out: np.ndarray) -> np.ndarray:
    """Each piece's vectors (sensors, 3, n), less `bias` if given, in its frame (pieces, sensors,
    3, 3): rows along the long axis and the plane basis normal to it (calibration.plane_basis),
    into `out` (3, sensors, n)."""
    for samples, blocks, k in pieces:
        source = vectors[:, :, samples].reshape(4, 3, blocks, -1).transpose(2, 0, 1, 3)
        target = out[:, :, samples].reshape(3, 4, blocks, -1).transpose(2, 1, 0, 3)
        np.matmul(frames[k: k + blocks], source, out=target)
        if bias is not None:
            target -= np.einsum("psrk,psk->psr", frames[k: k + blocks], bias[k: k + blocks])[..., None]
    return out


def _along_flexion(flexion: _Flexion, pieces: list, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """De-twisted plane components (x, y) (sensors, n) along each block's flexion axis:
    cos β·x + sin β·y."""
    out = np.empty_like(x)
    for samples, blocks, k in pieces:
        c, s = (z[k: k + blocks].T[:, :, None] for z in (flexion.cos, flexion.sin))
        out[:, samples] = (c * x[:, samples].reshape(4, blocks, -1)
                           + s * y[:, samples].reshape(4, blocks, -1)).reshape(4, -1)
    return out


def _running(stride_s: np.ndarray, contact_s: np.ndarray, kickback_deg: np.ndarray) -> np.ndarray:
    """A running stride (SPEC §5: standing, walking and shuffles produce none): cadence, a flight
    phase (contact under RUNNING_MAX_DUTY of the stride) and a real kickback."""
    return ((RUNNING_STRIDE_S[0] <= stride_s) & (stride_s <= RUNNING_STRIDE_S[1])
            & (contact_s < RUNNING_MAX_DUTY * stride_s) & (kickback_deg >= RUNNING_MIN_KICKBACK_DEG))


def _running_shape(signals: list[SegmentSignals], start: np.ndarray, toe: np.ndarray, end: np.ndarray,
                   peak: np.ndarray, k: np.ndarray, rate: float) -> np.ndarray:
    """`_running`, read off a stride's own orientation k (n, 2) at its kickback peak sample,
    before its full metrics exist."""
    thigh, shank = signals
    kickback = np.degrees(thigh.phi[peak] - shank.phi[peak] + k[:, 0] - k[:, 1])
    return _running((end - start) / rate, (toe - start) / rate, kickback)


def _not_running(batch: StrideBatch, length: np.ndarray, rate: float) -> np.ndarray:
    """Per stride: "not_running" or "" (a running stride)."""
    running = _running(length / rate, batch.contact_ms / 1000, batch.kickback_deg)
    return np.where(running, "", "not_running")


class StrideEngine:
    """Feed samples in chunks of any size; get each stride as soon as it is complete.

    `feed(t, imu)` takes times (s) and an (n, 24) array in the SPEC §4 column order.
    """

    def __init__(self, body: Body, *, sample_rate: float | None = None,
                 zones: ZoneTable | None = None, pinned_band: str | None = None) -> None:
        self.body = body
        self.zones = zones or ZoneTable()
        self.pinned_band = pinned_band
        self.skipped: Counter = Counter()
        self._rate = sample_rate
        self._waiting_t: list[np.ndarray] = []
        self._waiting_v: list[np.ndarray] = []
        self._resampler: GridResampler | None = None
        self._calibration: _BlockCalibration | None = None
        self._segment: _Segment | None = None
        self._segment_t0 = 0.0
        self._symmetry = SymmetryTracker()

    @property
    def sample_rate(self) -> float | None:
        return self._rate

    def feed(self, t: np.ndarray, imu: np.ndarray) -> list[Stride]:
        t = np.asarray(t, dtype=float)
        imu = np.asarray(imu, dtype=float)
        if imu.ndim != 2 or imu.shape[1] != 24 or len(imu) != len(t):
            raise ValueError(f"expected t (n,) and imu (n, 24), got {t.shape} and {imu.shape}")
        if self._resampler is None:
            self._waiting_t.append(t)
            self._waiting_v.append(imu)
            waiting = _joined(self._waiting_t)  # a whole recording at once: no copy of it
            if self._rate is None and len(waiting) < 64:
                return []
            t, imu = waiting, _joined(self._waiting_v)
            self._waiting_t, self._waiting_v = [], []
            self._start(t)
        found = []
        for lo in range(0, len(t), SCAN_SAMPLES):
            found += self._push(self._resampler.feed(t[lo: lo + SCAN_SAMPLES], imu[lo: lo + SCAN_SAMPLES]))
        return self._label(found + self._collect(final=False))

    def finish(self) -> list[Stride]:
        """End of stream: flush what is held and close every open stride."""
        if self._resampler is None:
            if not self._waiting_t:
                return []
            self._start(np.concatenate(self._waiting_t))
            t, imu = np.concatenate(self._waiting_t), np.concatenate(self._waiting_v)
            self._waiting_t, self._waiting_v = [], []
        else:
            t, imu = np.empty(0), np.empty((0, 24))
        found = self._push(self._resampler.feed(t, imu, final=True))
        return self._label(found + self._collect(final=True))

    def _start(self, t: np.ndarray) -> None:
        if self._rate is None:
            self._rate = estimate_sample_rate(t[:64])
        self._resampler = GridResampler(self._rate)
        self._calibration = _BlockCalibration(self._rate)

    def _push(self, chunks: list[GridChunk]) -> list[tuple[float, _Found]]:
        """Hand grid samples to their segment; scan for strides every SCAN_SAMPLES and at a segment's end."""
        found: list[tuple[float, _Found]] = []
        for chunk in chunks:
            if chunk.new_segment or self._segment is None:
                found += self._collect(final=True)
                self._segment = _Segment(self._rate, self._calibration)
                self._segment_t0 = chunk.segment_t0
            for lo in range(0, len(chunk.filled), PUSH_SAMPLES):
                piece = slice(lo, lo + PUSH_SAMPLES)
                self._segment.push(chunk.samples[:, piece], chunk.filled[piece])
                if self._segment.unscanned >= SCAN_SAMPLES:
                    found += self._collect(final=False)
        return found

    def _collect(self, final: bool) -> list[tuple[float, _Found]]:
        """Strides the current segment completed, each with its segment's time origin."""
        if self._segment is None:
            return []
        if final:
            self._segment.push(np.empty((24, 0)), np.empty(0, dtype=bool), final=True)
        return [(self._segment_t0, f) for f in self._segment.find_strides(self.body, final, self.skipped)]

    def _label(self, found: list[tuple[float, _Found]]) -> list[Stride]:
        """Stride objects in the order the strides ended: times, pace band, zones, symmetry."""
        for reason, count in self._resampler.dropped.items():
            self.skipped[reason] = count
        if not found:
            return []

        dt = 1.0 / self._rate
        times = _joined([t0 + np.stack([f.start, f.toe_off, f.end]) * dt for t0, f in found], axis=1)
        side = _joined([np.full(len(f.start), f.side) for _, f in found])
        values = _joined([f.values for _, f in found], axis=1)
        q = {name: _joined([f.quality[name] for _, f in found]) for name in found[0][1].quality}
        traces = [trace for _, f in found for trace in _trace_rows(f.trace)]
        order = np.lexsort((side, times[2]))
        times, side, values = times[:, order], side[order], values[:, order]
        q = {name: column[order] for name, column in q.items()}
        v = dict(zip(METRICS, values, strict=True))
        bands = np.full(len(order), self.pinned_band) if self.pinned_band else pace_bands(v["speed_mps"])
        zones = self.zones.labels(bands, v["kickback_deg"], v["knee_elevation_deg"])
        # Low-quality strides, and strides delivered late (they waited for a later anchor), do not
        # enter the other strides' symmetry: it stays the same however the stream was chunked.
        paired = np.column_stack([v["kickback_deg"], v["knee_elevation_deg"]])
        symmetry = self._symmetry.add(side, times[2], paired, counts=~(q["low"] | q["waited"]))
        symmetry = np.where(np.isnan(symmetry), None, np.round(symmetry, 2)).tolist()
        rounded = np.round(values, 2)
        rounded[_CADENCE] = np.round(values[_CADENCE], 1)
        rounded = rounded.tolist()
        rounded[_CONTACT] = np.rint(values[_CONTACT]).astype(int).tolist()
        columns = [np.array(LEGS)[side].tolist(), *np.round(times, 4).tolist(), *rounded,
                   bands.tolist(), zones[0].tolist(), zones[1].tolist(), symmetry, _quality_dicts(q),
                   order.tolist()]
        return [
            Stride(leg, t0, to, t1, kick, shank, heel, knee, knee_cm, cadence, contact, speed, band,
                   {"kickback": zone_kick, "knee_elevation": zone_knee},
                   {"kickback": sym[0], "knee_elevation": sym[1]}, quality, traces[i])
            for (leg, t0, to, t1, kick, shank, heel, knee, knee_cm, cadence, contact, speed, band,
                 zone_kick, zone_knee, sym, quality, i) in zip(*columns, strict=True)
        ]


def _joined(arrays: list[np.ndarray], axis: int = 0) -> np.ndarray:
    """The arrays joined (no copy of a single one)."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=axis)


_CADENCE, _CONTACT = METRICS.index("cadence_spm"), METRICS.index("contact_ms")  # rows of `values`


def _quality_dicts(q: dict[str, np.ndarray]) -> list[dict]:
    """The SPEC §6 `quality` object of each stride, rounded for people."""
    columns = (np.round(q["missing_pct"], 1).tolist(), np.rint(q["longest_gap_ms"]).astype(int).tolist(),
               q["gap_at_peak"].tolist(), np.round(q["kickback_uncertainty_deg"], 1).tolist(),
               np.round(q["knee_elevation_uncertainty_deg"], 1).tolist(), q["low"].tolist())
    return [{"missing_pct": missing, "longest_gap_ms": gap, "gap_at_peak": at_peak,
             "kickback_uncertainty_deg": kick, "knee_elevation_uncertainty_deg": knee, "low": low}
            for missing, gap, at_peak, kick, knee, low in zip(*columns, strict=True)]


def _trace_rows(trace: np.ndarray) -> list[np.ndarray]:
    """Each stride's (2, k) trace, rounded to 0.1°, without the NaN columns past its end."""
    rounded = np.round(trace, 1)
    lengths = (~np.isnan(trace[:, 0])).sum(axis=1)
    return [row[:, :k] for row, k in zip(rounded, lengths.tolist(), strict=True)]


def analyze(recording: Recording, body: Body, *, zones: ZoneTable | None = None,
            sample_rate: float | None = None) -> tuple[list[Stride], Counter]:
    """Batch analysis: the streaming engine fed the whole recording at once."""
    engine = StrideEngine(body, zones=zones, sample_rate=sample_rate)
    strides = engine.feed(recording.t, recording.imu) + engine.finish()
    strides.sort(key=lambda s: (s.leg, s.t_start))
    return strides, engine.skipped
