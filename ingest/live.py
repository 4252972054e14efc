"""One streaming metrics engine per live session, in this process.

The engine is deterministic and chunk-invariant, so after a restart (or when an agent
reconnects to another server process) it is rebuilt by replaying the session's stored
raw chunks: the strides that follow are exactly those of an uninterrupted run. The
strides the replay finds again are already stored (and were shown when they were new):
they are not returned, so boards do not see the past a second time.
"""

from __future__ import annotations

import time
import zlib

import numpy as np

from ingest.protocol.ble import lsb
from metrics.core import Stride, StrideEngine
from metrics.models import body_of, zone_table_for
from sessions.models import RawChunk, RunSession

_engines: dict[int, StrideEngine] = {}
_zones_checked: dict[int, float] = {}
ZONES_EVERY_S = 2.0  # a coach's zone change applies within this long, from the next stride on


def chunk_samples(chunk: RawChunk) -> tuple[np.ndarray, np.ndarray]:
    """(indices, physical (n, 24)) of a stored chunk."""
    offsets = np.frombuffer(bytes(chunk.offsets), dtype="<u2").astype(np.int64)
    raw = np.frombuffer(zlib.decompress(bytes(chunk.samples)), dtype="<i2").reshape(chunk.count, 24)
    scale = lsb(chunk.accel_range_g, chunk.gyro_range_dps)
    return chunk.first_index + offsets, raw.astype(np.float64) * scale


def _times(session: RunSession, indices: np.ndarray) -> np.ndarray:
    return (indices - session.clock_origin) / session.sample_rate_hz


def _new_engine(session: RunSession) -> StrideEngine:
    runner = session.runner
    return StrideEngine(body_of(runner), sample_rate=session.sample_rate_hz, zones=zone_table_for(runner))


def feed(session: RunSession, indices: np.ndarray, values: np.ndarray) -> list[Stride]:
    """Strides completed by these samples (all stored chunks replayed first if the engine is new)."""
    engine = _engines.get(session.pk)
    if engine is not None and time.monotonic() - _zones_checked.get(session.pk, 0) > ZONES_EVERY_S:
        engine.zones = zone_table_for(session.runner)
        _zones_checked[session.pk] = time.monotonic()
    if engine is None:
        engine = _engines[session.pk] = _new_engine(session)
        strides: list[Stride] = []
        for chunk in session.chunks.filter(first_index__lt=int(indices[0])).iterator():
            chunk_indices, chunk_values = chunk_samples(chunk)
            strides += engine.feed(_times(session, chunk_indices), chunk_values)
        strides += engine.feed(_times(session, indices), values)
        shown = set(session.strides.values_list("leg", "t_start"))
        return [stride for stride in strides if (stride.leg, stride.t_start) not in shown]
    return engine.feed(_times(session, indices), values)


def finish(session: RunSession) -> list[Stride]:
    engine = _engines.pop(session.pk, None)
    return engine.finish() if engine is not None else []
