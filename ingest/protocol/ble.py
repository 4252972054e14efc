"""The leggings' BLE GATT profile and IMU-data notification codec (docs/ble-protocol.md).

A notification carries up to 4 sample instants of the four IMUs (48 bytes each) behind
a 12-byte header, 204 bytes in all, inside a 247-byte ATT MTU. Consecutive
notifications interleave their instants (notification k of a frame carries instants
k, k+2, k+4, k+6), so one lost notification leaves single-sample holes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

SERVICE_UUID = "5a1d0001-7e57-4d1e-9a5e-57a1de000001"
IMU_DATA_UUID = "5a1d0002-7e57-4d1e-9a5e-57a1de000001"
CONTROL_POINT_UUID = "5a1d0003-7e57-4d1e-9a5e-57a1de000001"
BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
DEVICE_INFO_UUID = "0000180a-0000-1000-8000-00805f9b34fb"
SERIAL_NUMBER_UUID = "00002a25-0000-1000-8000-00805f9b34fb"
FIRMWARE_UUID = "00002a26-0000-1000-8000-00805f9b34fb"
NAME_PREFIX = "StrideSite-"

VERSION = 1
HEADER = struct.Struct("<BBHIBBH")  # version, count, seq, first index, step, ranges, rate
INSTANT_BYTES = 48  # 4 IMUs × 6 axes × int16
MAX_INSTANTS = 4
ATT_OVERHEAD = 3
ACCEL_RANGES_G = (2, 4, 8, 16, 32)
GYRO_RANGES_DPS = (250, 500, 1000, 2000, 4000)
G = 9.81

# Control point opcodes (write): start streaming at a rate, stop.
OP_START, OP_STOP = 0x01, 0x02
CONTROL = struct.Struct("<BH")


class PacketError(ValueError):
    """Bytes that are not a valid notification; the message says why."""


@dataclass(frozen=True)
class Notification:
    seq: int  # notification counter, wraps at 2**16
    first_index: int  # sample-clock index of the first instant (the device timestamp)
    step: int  # index distance between this notification's instants (the interleave)
    rate_hz: int
    accel_range_g: int
    gyro_range_dps: int
    raw: np.ndarray  # (count, 24) int16 in the sensor frames

    @property
    def indices(self) -> np.ndarray:
        return self.first_index + self.step * np.arange(len(self.raw), dtype=np.int64)

    def physical(self) -> np.ndarray:
        """(count, 24) float: m/s² and deg/s."""
        return self.raw.astype(np.float64) * lsb(self.accel_range_g, self.gyro_range_dps)


def instants_per_notification(mtu: int) -> int:
    """How many instants fit the negotiated ATT MTU (fallback for small MTUs)."""
    fit = (mtu - ATT_OVERHEAD - HEADER.size) // INSTANT_BYTES
    if fit < 1:
        raise PacketError(f"ATT MTU {mtu} is too small: at least {ATT_OVERHEAD + HEADER.size + 48}")
    return min(fit, MAX_INSTANTS)


def encode(n: Notification) -> bytes:
    ranges = (ACCEL_RANGES_G.index(n.accel_range_g) << 4) | GYRO_RANGES_DPS.index(n.gyro_range_dps)
    raw = np.ascontiguousarray(n.raw, dtype="<i2")
    header = HEADER.pack(VERSION, len(raw), n.seq & 0xFFFF, n.first_index & 0xFFFFFFFF, n.step, ranges,
                         n.rate_hz)
    return header + raw.tobytes()


def decode(data: bytes) -> Notification:
    """Parse one notification; any malformed input raises PacketError, nothing else."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise PacketError("not bytes")
    data = bytes(data)
    if len(data) < HEADER.size:
        raise PacketError(f"{len(data)} bytes: shorter than the {HEADER.size}-byte header")
    version, count, seq, first, step, ranges, rate = HEADER.unpack_from(data)
    if version != VERSION:
        raise PacketError(f"unknown version {version}")
    if not 1 <= count <= MAX_INSTANTS:
        raise PacketError(f"bad instant count {count}")
    if len(data) != HEADER.size + count * INSTANT_BYTES:
        raise PacketError(f"{len(data)} bytes for {count} instants")
    accel_code, gyro_code = ranges >> 4, ranges & 0x0F
    if accel_code >= len(ACCEL_RANGES_G) or gyro_code >= len(GYRO_RANGES_DPS):
        raise PacketError(f"unknown range code 0x{ranges:02x}")
    if step < 1 or not 10 <= rate <= 1000:
        raise PacketError(f"bad step {step} or rate {rate}")
    raw = np.frombuffer(data, dtype="<i2", offset=HEADER.size).reshape(count, 24)
    return Notification(seq, first, step, rate, ACCEL_RANGES_G[accel_code], GYRO_RANGES_DPS[gyro_code], raw)


def lsb(accel_range_g: float, gyro_range_dps: float) -> np.ndarray:
    """(24,) physical value of one int16 step per column (m/s², deg/s) at the declared ranges."""
    return np.tile([accel_range_g * G / 32768] * 3 + [gyro_range_dps / 32768] * 3, 4)


def quantise(values: np.ndarray, accel_range_g: int, gyro_range_dps: int) -> np.ndarray:
    """(n, 24) physical values → int16 at the declared ranges (clipping at the rails)."""
    scaled = values * (1.0 / lsb(accel_range_g, gyro_range_dps))
    np.rint(scaled, out=scaled)
    return np.clip(scaled, -32768, 32767, out=scaled).astype(np.int16)


def control_start(rate_hz: int) -> bytes:
    return CONTROL.pack(OP_START, rate_hz)

