"""Virtual leggings: real BLE notification bytes from the gait simulator, at real-time pace.

Each device simulates its runner once (stand, run at a few paces, stand, as a loop)
and serves the instant whose index is the device's sample clock, so a restarted agent
picks up where the stream is now. Loss drops whole notifications; disconnects pause
the stream; the battery drains. Runs recorded away from any agent go to a bounded flash
(`Flash`), from which the agent syncs them (docs/ble-protocol.md, "Stored runs").
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ingest.protocol import ble, runs
from metrics.simulator import SENSORS, Phase, Runner, SensorErrors, simulate

ACCEL_RANGE_G, GYRO_RANGE_DPS = 32, 2000
INTERLEAVE = 2
FADE_S = (0.04, 0.24)  # a fade loses every notification for this long (uniform)
FLASH_BYTES = 256 * 2**20  # run storage: 34.6 MB an hour at 200 Hz, so 7.4 hours


@dataclass
class StoredRun:
    info: runs.RunInfo
    data: bytes  # instants × 48 bytes, sensor frames, as the IMU notifications carry them
    synced: bool = False  # erased by an agent: no longer listed, its space taken when needed


@dataclass
class Flash:
    """The leggings' run storage, bounded. A new run that does not fit takes the space of the
    oldest synced runs, never of one not yet synced: with nothing synced left to overwrite,
    recording refuses (the leggings then say "storage full")."""

    capacity: int = FLASH_BYTES
    stored: list[StoredRun] = field(default_factory=list)
    next_id: int = 1

    def used(self) -> int:
        return sum(len(run.data) for run in self.stored)

    def record(self, start_unix: int, first_index: int, rate_hz: int,
               raw: np.ndarray) -> runs.RunInfo | None:
        """Store a run's int16 samples (instants, 24); None when it does not fit."""
        data = raw.astype("<i2").tobytes()
        unsynced = sum(len(run.data) for run in self.stored if not run.synced)
        if unsynced + len(data) > self.capacity:
            return None
        while self.used() + len(data) > self.capacity:
            self.stored.remove(next(run for run in self.stored if run.synced))
        info = runs.RunInfo(self.next_id, start_unix, first_index, rate_hz, ACCEL_RANGE_G, GYRO_RANGE_DPS,
                            len(raw))
        self.next_id += 1
        self.stored.append(StoredRun(info, data))
        return info

    def listed(self) -> list[runs.RunInfo]:
        return [run.info for run in self.stored if not run.synced]

    def _listed(self, run_id: int) -> StoredRun | None:
        return next((run for run in self.stored if run.info.run_id == run_id and not run.synced), None)

    def chunks(self, run_id: int, offset: int, length: int) -> list[bytes]:
        """Run-data notifications carrying [offset, offset + length) of a listed run."""
        run = self._listed(run_id)
        if run is None:
            return []
        end = min(offset + length, len(run.data))
        return [runs.encode_chunk(run_id, at, run.data[at:min(at + runs.CHUNK_BYTES, end)])
                for at in range(offset, end, runs.CHUNK_BYTES)]

    def erase(self, run_id: int) -> bool:
        run = self._listed(run_id)
        if run is not None:
            run.synced = True
        return run is not None


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
    flash: Flash = field(default_factory=Flash)
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

    def record_run(self, seconds: float, first_index: int) -> runs.RunInfo | None:
        """The runner goes for a run alone: `seconds` of samples from `first_index` on the sample
        clock go to flash (None when it is full of runs not yet synced)."""
        index = first_index + np.arange(int(seconds * self.rate_hz))
        start = int(self.epoch + first_index / self.rate_hz)
        return self.flash.record(start, first_index, self.rate_hz, self._loop[index % len(self._loop)])

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
