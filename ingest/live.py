"""One streaming metrics engine per live session, in this process.

The engine is deterministic and chunk-invariant, so after a restart (or when an agent
reconnects to another server process) it is rebuilt by replaying the session's stored
raw chunks: the strides that follow are exactly those of an uninterrupted run. Strides
already stored (and shown when they were new) are not returned again — neither those the
replay finds, nor those the agent's resent frames complete a second time (the old process
may have stored a frame's strides before it could store the frame).

Each stride a session returns is numbered 1, 2, … in that session, counting the strides
stored before a takeover, so a board's numbering carries on across a process change.

Frames reach the engine through `metrics.core.pacing.PacedFeed`: only when a stride may complete.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field

import numpy as np

from ingest.protocol.ble import lsb
from metrics.core import Stride, StrideEngine
from metrics.core.pacing import PacedFeed
from metrics.models import body_of, zone_table_for, zone_tables_for
from sessions.models import RawChunk, RunSession

ZONES_EVERY_S = 2.0  # a coach's zone change applies within this long, from the next stride on


@dataclass
class _LiveSession:
    paced: PacedFeed
    runner_id: int
    stored: set[tuple[str, float]] = field(default_factory=set)  # (leg, t_start) stored before a takeover
    stored_until: float = -np.inf  # the newest of them starts here: later strides are all new
    count: int = 0  # strides of the session so far

    def new(self, strides: list[Stride]) -> list[tuple[int, Stride]]:
        """The strides not stored before, each with its number in the session."""
        if self.stored and any(s.t_start <= self.stored_until for s in strides):
            strides = [s for s in strides if (s.leg, s.t_start) not in self.stored]
        numbered = list(enumerate(strides, self.count + 1))
        self.count += len(strides)
        return numbered


_sessions: dict[int, _LiveSession] = {}
_zones_read = [time.monotonic()]  # when every live engine's zones were last read


def chunk_samples(chunk: RawChunk) -> tuple[np.ndarray, np.ndarray]:
    """(indices, physical (n, 24)) of a stored chunk."""
    offsets = np.frombuffer(bytes(chunk.offsets), dtype="<u2").astype(np.int64)
    raw = np.frombuffer(zlib.decompress(bytes(chunk.samples)), dtype="<i2").reshape(chunk.count, 24)
    scale = lsb(chunk.accel_range_g, chunk.gyro_range_dps)
    return chunk.first_index + offsets, raw.astype(np.float64) * scale


def _times(session: RunSession, indices: np.ndarray) -> np.ndarray:
    return (indices - session.clock_origin) / session.sample_rate_hz


def _take_over(session: RunSession, before_index: int) -> tuple[_LiveSession, list[Stride]]:
    """A new engine for the session warmed on its stored chunks, and the strides it found there."""
    runner = session.runner
    engine = StrideEngine(body_of(runner), sample_rate=session.sample_rate_hz, zones=zone_table_for(runner))
    stored = set(session.strides.values_list("leg", "t_start"))
    state = _LiveSession(PacedFeed(engine), runner.pk, stored, max((t for _, t in stored), default=-np.inf),
                         count=len(stored))
    replayed: list[Stride] = []
    for chunk in session.chunks.filter(first_index__lt=before_index).iterator():
        chunk_indices, chunk_values = chunk_samples(chunk)
        replayed += engine.feed(_times(session, chunk_indices), chunk_values)
    return state, replayed


def feed(session: RunSession, indices: np.ndarray, values: np.ndarray) -> list[tuple[int, Stride]]:
    """New strides completed by these samples, numbered (all stored chunks replayed first if the
    engine is new)."""
    state, found = _sessions.get(session.pk), []
    if state is None:
        state, found = _take_over(session, int(indices[0]))
        _sessions[session.pk] = state
    elif time.monotonic() - _zones_read[0] > ZONES_EVERY_S:
        _read_zones()
    return state.new(found + state.paced.take(_times(session, indices), values))


def _read_zones() -> None:
    """Every live engine's zones, one query for all of them."""
    tables = zone_tables_for(list({state.runner_id for state in _sessions.values()}))
    for state in _sessions.values():
        state.paced.engine.zones = tables[state.runner_id]
    _zones_read[0] = time.monotonic()


def release(session: RunSession) -> list[tuple[int, Stride]]:
    """The strides of the samples still held (the stream stopped), numbered."""
    state = _sessions.get(session.pk)
    return state.new(state.paced.release()) if state is not None else []


def finish(session: RunSession) -> list[tuple[int, Stride]]:
    """The session's last strides, numbered; its engine is dropped."""
    state = _sessions.pop(session.pk, None)
    return state.new(state.paced.finish()) if state is not None else []


def forget() -> None:
    """Drop every engine of this process (tests: a process restart)."""
    _sessions.clear()
