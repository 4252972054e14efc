"""From BLE notifications to spooled agent frames, one leggings at a time.

Notifications are decoded, turned into the nominal segment frames with the leggings'
mounting calibration, re-quantised at the declared ranges, re-ordered by sample index
(interleaved notifications arrive two per frame) and cut into frames: each ends where the
server's engine can confirm a stride (`stride_cuts`), or after MAX_FRAME_S. Frames wait in
an outbox until `commit` writes them to the spool (the agent commits every 20 ms for all
leggings in one transaction); only spooled frames are ever sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from ingest.agent.spool import Spool
from ingest.protocol import ble, frames
from metrics.core.stride_cuts import StrideCuts

log = logging.getLogger(__name__)
MAX_FRAME_S = 0.2  # frames end at strides (stride_cuts), and after this at the latest


def mounting_matrix(mounting: dict | None) -> np.ndarray:
    """(4, 3, 3) sensor → nominal rotations from the server's per-leggings calibration."""
    if not mounting:
        return np.tile(np.eye(3), (4, 1, 1))
    return np.array([mounting[s] for s in ("left_thigh", "left_shank", "right_thigh", "right_shank")],
                    dtype=float)


def to_nominal(mounting: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Physical samples (n, 24) in the sensor frames turned into the nominal segment frames with
    the (4, 3, 3) `mounting_matrix`."""
    return np.einsum("sij,nskj->nski", mounting, values.reshape(-1, 4, 2, 3)).reshape(-1, 24)


@dataclass
class DeviceStats:
    notifications: int = 0
    bad_packets: int = 0
    lost_notifications: int = 0
    samples: int = 0
    frames: int = 0


@dataclass
class Framer:
    address: str
    spool: Spool
    mounting: np.ndarray = field(default_factory=lambda: mounting_matrix(None))
    stats: DeviceStats = field(default_factory=DeviceStats)
    _indices: list = field(default_factory=list)
    _values: list = field(default_factory=list)
    _last_seq: int | None = None
    _last_flushed: int = -1
    _rate: int = 0
    _ranges: tuple[int, int] = (32, 2000)
    _complete_through: int = -1  # every instant up to here has arrived or is lost for good
    _next_seq: int | None = None
    outbox: list = field(default_factory=list)  # frames made, not yet committed to the spool
    max_frame_s: float = MAX_FRAME_S
    stride_cuts: StrideCuts | None = field(default_factory=StrideCuts)  # None: frames of max_frame_s
    _cuts: list = field(default_factory=list)  # sample indices the next frames end before
    _scanned_to: int = -1  # the last sample index `stride_cuts` has seen

    def on_notification(self, data: bytes) -> int:
        """Take one notification; returns how many frames it completed (0 on a bad packet)."""
        try:
            n = ble.decode(data)
        except ble.PacketError as error:
            self.stats.bad_packets += 1
            log.warning("%s: dropped a bad packet: %s", self.address, error)
            return 0
        self.stats.notifications += 1
        if self._last_seq is not None:
            self.stats.lost_notifications += (n.seq - self._last_seq - 1) % 65536
        self._last_seq = n.seq
        if self._rate and n.rate_hz != self._rate:
            self.flush()
        self._rate, self._ranges = n.rate_hz, (n.accel_range_g, n.gyro_range_dps)
        values = to_nominal(self.mounting, n.physical())
        fresh = n.indices > self._last_flushed
        self._indices.extend(n.indices[fresh].tolist())
        self._values.append(values[fresh])
        # Notifications arrive in order on a link: once the last notification of an interleave
        # group is in, the group is complete (its partners arrived before it, or never will).
        if n.first_index % n.step == n.step - 1:
            self._complete_through = int(n.indices[-1])
        else:
            self._complete_through = max(self._complete_through, int(n.first_index) - 1)
        return self._cut(final=False)

    def flush(self) -> int:
        """Frame everything held (the device went away)."""
        return self._cut(final=True)

    def _cut(self, final: bool) -> int:
        if not self._indices:
            return 0
        indices = np.array(self._indices, dtype=np.int64)
        values = np.concatenate(self._values)
        order = np.argsort(indices, kind="stable")
        indices, values = indices[order], values[order]
        keep = np.concatenate([[True], np.diff(indices) > 0])
        indices, values = indices[keep], values[keep]
        ready_until = indices[-1] + 1 if final else self._complete_through + 1
        self._scan(indices, values, ready_until)
        longest = max(int(round(self.max_frame_s * self._rate)), 1)
        made = 0
        while len(indices) and indices[0] < ready_until:
            self._cuts = [cut for cut in self._cuts if cut > indices[0]]
            end = min([indices[0] + longest, *self._cuts[:1]])
            if end > ready_until and not final:
                break  # the frame's last samples have not all arrived
            take = np.searchsorted(indices, min(end, ready_until))
            self._append_frame(indices[:take], values[:take])
            indices, values = indices[take:], values[take:]
            made += 1
        self._indices, self._values = indices.tolist(), [values]
        return made

    def _scan(self, indices: np.ndarray, values: np.ndarray, ready_until: int) -> None:
        """Stride cuts in the samples complete since the last scan."""
        if self.stride_cuts is None:
            return
        fresh = (indices > self._scanned_to) & (indices < ready_until)
        if fresh.any():
            self._cuts += self.stride_cuts.scan(indices[fresh], values[fresh], self._rate)
            self._scanned_to = int(indices[fresh][-1])

    def _append_frame(self, indices: np.ndarray, values: np.ndarray) -> None:
        accel, gyro = self._ranges
        seq = self._next_seq if self._next_seq is not None else self.spool.next_seq(self.address)
        frame = frames.SampleFrame(
            address=self.address, seq=seq, first_index=int(indices[0]), rate_hz=self._rate,
            accel_range_g=accel, gyro_range_dps=gyro, offsets=(indices - indices[0]).astype(np.uint16),
            raw=ble.quantise(values, accel, gyro),
        )
        self.outbox.append((self.address, seq, frames.encode(frame)))
        self._next_seq = seq + 1
        self._last_flushed = int(indices[-1])
        self.stats.samples += len(indices)
        self.stats.frames += 1


def commit(spool: Spool, framers) -> int:
    """Write every framer's outbox to the spool in one fsync'd transaction (only then may the
    frames be sent); returns how many frames were written."""
    rows = [row for framer in framers for row in framer.outbox]
    spool.append_many(rows)
    for framer in framers:
        framer.outbox = []
    return len(rows)
