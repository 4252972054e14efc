"""Agent → server websocket frames (docs/ingest-protocol.md).

One binary frame carries a block of one device's samples in the nominal segment
frames (SPEC §3), int16 at declared ranges, with their sample-clock indices:

    magic "SSF1" | u8 type | 6-byte BLE address | u32 device frame seq | u32 first index
    | u16 rate Hz | u8 accel range g | u16 gyro range dps | u16 count
    | count × u16 index offsets | count × 24 × int16 samples

Frames of one device are numbered 0, 1, 2 … by the agent's spool; the server
acknowledges the highest contiguous seq it has stored (a JSON text message), and a
frame it has already stored is acknowledged again and dropped: frames are idempotent.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from ingest.protocol.ble import lsb

MAGIC = b"SSF1"
TYPE_SAMPLES = 1
HEADER = struct.Struct("<4sB6sIIHBHH")
SEQ_OFFSET = 11  # byte offset of the frame seq in the header
MAX_SAMPLES = 2048
MAX_FRAME_BYTES = HEADER.size + MAX_SAMPLES * (2 + 48)


class FrameError(ValueError):
    """A frame that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class SampleFrame:
    address: str  # "AA:BB:CC:DD:EE:FF"
    seq: int
    first_index: int
    rate_hz: int
    accel_range_g: int
    gyro_range_dps: int
    offsets: np.ndarray  # (n,) uint16: index − first_index
    raw: np.ndarray  # (n, 24) int16, nominal frames

    @property
    def indices(self) -> np.ndarray:
        return self.first_index + self.offsets.astype(np.int64)

    def physical(self) -> np.ndarray:
        return self.raw.astype(np.float64) * lsb(self.accel_range_g, self.gyro_range_dps)


def _address_bytes(address: str) -> bytes:
    try:
        value = bytes.fromhex(address.replace(":", ""))
    except ValueError:
        raise FrameError(f"bad address {address!r}") from None
    if len(value) != 6:
        raise FrameError(f"bad address {address!r}")
    return value


def encode(frame: SampleFrame) -> bytes:
    n = len(frame.raw)
    if not 1 <= n <= MAX_SAMPLES or len(frame.offsets) != n:
        raise FrameError(f"a frame holds 1–{MAX_SAMPLES} samples, got {n}")
    header = HEADER.pack(MAGIC, TYPE_SAMPLES, _address_bytes(frame.address), frame.seq, frame.first_index,
                         frame.rate_hz, frame.accel_range_g, frame.gyro_range_dps, n)
    return (header + np.ascontiguousarray(frame.offsets, dtype="<u2").tobytes()
            + np.ascontiguousarray(frame.raw, dtype="<i2").tobytes())


def decode(data: bytes) -> SampleFrame:
    """Parse one frame; any malformed input raises FrameError, nothing else."""
    if not isinstance(data, bytes | bytearray):
        raise FrameError("expected a binary frame")
    if len(data) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(data)} bytes exceeds {MAX_FRAME_BYTES}")
    if len(data) < HEADER.size:
        raise FrameError(f"{len(data)} bytes: shorter than the {HEADER.size}-byte header")
    magic, kind, address, seq, first, rate, accel, gyro, n = HEADER.unpack_from(data)
    if magic != MAGIC or kind != TYPE_SAMPLES:
        raise FrameError("not a StrideSite sample frame")
    if not 1 <= n <= MAX_SAMPLES or len(data) != HEADER.size + n * 50:
        raise FrameError(f"{len(data)} bytes for {n} samples")
    if not 10 <= rate <= 1000 or accel not in (2, 4, 8, 16, 32) or gyro not in (250, 500, 1000, 2000, 4000):
        raise FrameError(f"bad rate {rate} or ranges ±{accel} g, ±{gyro} deg/s")
    offsets = np.frombuffer(data, dtype="<u2", count=n, offset=HEADER.size)
    if n > 1 and not np.all(np.diff(offsets.astype(np.int64)) > 0):
        raise FrameError("sample offsets must increase")
    raw = np.frombuffer(data, dtype="<i2", offset=HEADER.size + 2 * n).reshape(n, 24)
    return SampleFrame(":".join(f"{b:02X}" for b in address), seq, first, rate, accel, gyro, offsets, raw)
