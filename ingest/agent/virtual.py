"""Virtual leggings: real BLE notification bytes from the gait simulator, at real-time pace.

Each device simulates its runner once (stand, run at a few paces, stand, as a loop)
and serves the instant whose index is the device's sample clock, so a restarted agent
picks up where the stream is now. Loss drops whole notifications; disconnects pause
the stream; the battery drains.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ingest.protocol import ble
from metrics.simulator import SENSORS, Phase, Runner, SensorErrors, simulate

ACCEL_RANGE_G, GYRO_RANGE_DPS = 32, 2000
INTERLEAVE = 2
FADE_S = (0.04, 0.24)  # a fade loses every notification for this long (uniform)


def demo_phases(speed: float, minutes: float = 4.0) -> list[Phase]:
    run = minutes * 60
    return [Phase("stand", 6.0), Phase("walk", 8.0, 1.4), Phase("run", run * 0.4, speed),
            Phase("run", run * 0.2, speed, speed * 1.25), Phase("run", run * 0.4, speed * 1.25, speed),
            Phase("walk", 8.0, 1.4), Phase("stand", 6.0)]


@dataclass
class VirtualLeggings:
    address: str
    name: str
    seed: int
    rate_hz: int = 200
    speed: float = 3.5
    loss: float = 0.0
    disconnect_every_s: float = 0.0  # 0: never
    fade_every_s: float = 0.0  # mean seconds between radio fades (0: none), each FADE_S long
    battery: float = 100.0
    # The sample clock counts from midnight UTC, so a restarted agent finds the stream where it is.
    epoch: float = field(default_factory=lambda: time.time() // 86400 * 86400)
    connected: bool = field(default=False, init=False)
    _loop: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        runner = Runner(height_m=float(rng.uniform(1.6, 1.9)), kickback_offset_deg=float(rng.normal(0, 6)),
                        knee_offset_deg=float(rng.normal(0, 4)), asymmetry_pct=float(rng.normal(0, 3)))
        sim = simulate(demo_phases(self.speed), sample_rate=self.rate_hz, runner=runner, seed=self.seed,
                       errors=SensorErrors(misalignment_deg=8.0, packet_loss=0.0))
        values = np.column_stack([sim.imu[s] for s in SENSORS])
        self._loop = ble.quantise(values, ACCEL_RANGE_G, GYRO_RANGE_DPS)
        self._rng = rng

    def now_index(self) -> int:
        return int((time.time() - self.epoch) * self.rate_hz)

    def notification(self, seq: int, first: int, per: int) -> bytes:
        """The notification carrying instants first, first+INTERLEAVE, … (per of them)."""
        idx = first + INTERLEAVE * np.arange(per)
        raw = self._loop[idx % len(self._loop)]
        return ble.encode(ble.Notification(seq, first, INTERLEAVE, self.rate_hz, ACCEL_RANGE_G,
                                           GYRO_RANGE_DPS, raw))

    async def stream(self, on_notification: Callable[[bytes], None], *, seconds: float | None = None,
                     per: int = ble.MAX_INSTANTS, on_state: Callable[[bool], None] | None = None) -> None:
        """Emit notifications at real-time pace until cancelled (or `seconds` of samples)."""
        frame = per * INTERLEAVE
        next_index = (self.now_index() // frame) * frame
        stop_index = next_index + int(seconds * self.rate_hz) if seconds else None
        seq = 0
        self._set_connected(True, on_state)
        next_drop = self._next_disconnect()
        fade = self._next_fade(next_index)
        while stop_index is None or next_index < stop_index:
            if next_drop and time.time() >= next_drop:
                self._set_connected(False, on_state)
                await asyncio.sleep(float(self._rng.uniform(1.0, 3.0)))
                next_index = (self.now_index() // frame) * frame  # samples while away are gone
                self._set_connected(True, on_state)
                next_drop = self._next_disconnect()
            while next_index + frame <= self.now_index() and (stop_index is None or next_index < stop_index):
                if next_index >= fade[1]:
                    fade = self._next_fade(next_index)
                faded = next_index + frame > fade[0]
                for k in range(INTERLEAVE):
                    if not faded and self._rng.random() >= self.loss:
                        on_notification(self.notification(seq, next_index + k, per))
                    seq = (seq + 1) % 65536
                next_index += frame
                self.battery = max(self.battery - 0.00002, 0.0)
            await asyncio.sleep(frame / self.rate_hz / 2)
        self._set_connected(False, on_state)

    def _next_fade(self, index: int) -> tuple[int, int]:
        """Sample indices [start, end) of the next radio fade (never, without fades)."""
        if not self.fade_every_s:
            return (1 << 62, 1 << 62)
        start = index + int(self._rng.exponential(self.fade_every_s) * self.rate_hz)
        return start, start + int(self._rng.uniform(*FADE_S) * self.rate_hz)

    def _next_disconnect(self) -> float:
        if not self.disconnect_every_s:
            return 0.0
        return time.time() + float(self._rng.exponential(self.disconnect_every_s))

    def _set_connected(self, value: bool, on_state) -> None:
        self.connected = value
        if on_state is not None:
            on_state(value)


def loop_checksum(device: VirtualLeggings, indices: np.ndarray) -> int:
    """CRC32 of the raw samples a device served at these indices (for zero-loss checks)."""
    return zlib.crc32(device._loop[indices % len(device._loop)].tobytes())
