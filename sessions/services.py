"""Sessions from files and back: upload a recording, export strides and raw samples."""

from __future__ import annotations

import csv
import io
import zlib
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from athletes.models import RunnerProfile
from ingest.live import chunk_samples
from ingest.protocol.ble import lsb, quantise
from metrics.core import COLUMNS, Recording, analyze
from metrics.core.engine import estimate_sample_rate
from metrics.models import StrideRecord, body_of, zone_table_for
from sessions.fit_export import FitStride, fit_activity
from sessions.models import RawChunk, RunSession

UPLOAD_RANGES = (32, 2000)  # stored like the leggings' own samples: int16 at ±32 g, ±2000 deg/s
CHUNK_SAMPLES = 4000  # 20 s at 200 Hz: a 2-hour upload is 360 rows, not 3,600


@transaction.atomic
def session_from_recording(runner: RunnerProfile, recording: Recording, notes: str = "") -> RunSession:
    """Store an uploaded recording as a session: raw chunks, then the engine's strides."""
    rate = round(estimate_sample_rate(recording.t))
    indices, raw = stored_samples(recording, rate, float(recording.t[0]))
    started = timezone.now()
    session = RunSession.objects.create(
        runner=runner, started_at=started, ended_at=started + timedelta(seconds=indices[-1] / rate),
        status=RunSession.Status.DONE, source=RunSession.Source.UPLOAD, sample_rate_hz=rate,
        clock_origin=0, last_index=int(indices[-1]), notes=notes,
    )
    RawChunk.objects.bulk_create(raw_chunks(session, indices, raw))
    stored = Recording(indices / rate, raw * lsb(*UPLOAD_RANGES))
    strides, _ = analyze(stored, body_of(runner), zones=zone_table_for(runner), sample_rate=rate)
    StrideRecord.store(session, strides)
    return session


def stored_samples(recording: Recording, rate: int, t0: float,
                   after: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """The rows an uploaded recording keeps, as sample indices at `rate` from `t0` and int16
    samples (UPLOAD_RANGES): every IMU value finite, the first of two rows on one instant, and
    none at or before index `after` (the last one kept from an earlier block)."""
    indices = np.rint((recording.t - t0) * rate).astype(np.int64)
    rises = np.diff(np.concatenate([[after], indices])) > 0
    keep = rises & np.isfinite(recording.imu).all(axis=1)
    return indices[keep], quantise(recording.imu[keep], *UPLOAD_RANGES)


def raw_chunks(session: RunSession, indices: np.ndarray, raw: np.ndarray) -> list[RawChunk]:
    """Stored chunks of quantised samples `raw` (n, 24) at sample `indices` (rising). zlib's
    level 0 (stored blocks, still zlib): level 1 saved 11 % of the bytes of IMU samples and cost
    5 ms per 20 s of data, half of the time a 2-hour upload spent being stored."""
    return [RawChunk(session=session, first_index=int(indices[lo]), count=hi - lo,
                     accel_range_g=UPLOAD_RANGES[0], gyro_range_dps=UPLOAD_RANGES[1],
                     offsets=(indices[lo:hi] - indices[lo]).astype("<u2").tobytes(),
                     samples=zlib.compress(raw[lo:hi].astype("<i2").tobytes(), 0))
            for lo, hi in chunk_bounds(indices)]


def chunk_bounds(indices: np.ndarray) -> list[tuple[int, int]]:
    """Rows [lo, hi) of each stored chunk: at most CHUNK_SAMPLES rows, and a new chunk wherever
    a pause would not fit the 16-bit offsets from the chunk's first index (stored exactly)."""
    bounds, lo = [], 0
    while lo < len(indices):
        hi = min(lo + CHUNK_SAMPLES, len(indices))
        hi = lo + int(np.searchsorted(indices[lo:hi], indices[lo] + 65535, side="right"))
        bounds.append((lo, hi))
        lo = hi
    return bounds


def raw_rows(session: RunSession):
    """(t, 24 values) per stored sample, in order, in the session's time base."""
    origin, rate = session.clock_origin or 0, session.sample_rate_hz
    for chunk in session.chunks.order_by("first_index").iterator():
        indices, values = chunk_samples(chunk)
        yield from zip((indices - origin) / rate, values, strict=True)


def raw_csv_lines(session: RunSession):
    """The session's raw samples as SPEC §4 CSV, exact enough to re-analyse to the same strides."""
    yield ",".join(COLUMNS) + "\n"
    for t, values in raw_rows(session):
        yield repr(float(t)) + "," + ",".join(repr(float(v)) for v in values) + "\n"


STRIDE_COLUMNS = (
    "leg", "t_start", "t_toe_off", "t_end", "kickback_deg", "shank_back_deg", "heel_rise_cm",
    "knee_elevation_deg", "knee_rise_cm", "cadence_spm", "contact_ms", "speed_mps", "pace_band",
    "kickback_zone", "knee_elevation_zone", "kickback_symmetry_pct", "knee_elevation_symmetry_pct",
)
# SPEC §6 `quality`, one column each; `low_quality` marks strides the summaries leave out.
QUALITY_COLUMNS = ("missing_pct", "longest_gap_ms", "gap_at_peak", "kickback_uncertainty_deg",
                   "knee_elevation_uncertainty_deg")


def strides_csv(session: RunSession) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow((*STRIDE_COLUMNS, *QUALITY_COLUMNS, "low_quality"))
    rows = session.strides.order_by("leg", "t_start").values_list(*STRIDE_COLUMNS, "quality", "low_quality")
    for *row, quality, low in rows:
        writer.writerow((*row, *(quality.get(name, "") for name in QUALITY_COLUMNS), low))
    return buffer.getvalue()


def session_fit(session: RunSession) -> bytes:
    """The session as a FIT activity (sessions/fit_export.py), its strides in time order."""
    rows = session.strides.order_by("t_start", "leg").values(
        "leg", "t_start", "t_end", "cadence_spm", "speed_mps", "kickback_deg", "knee_elevation_deg",
        "kickback_zone", "knee_elevation_zone", "quality", "low_quality")
    strides = [FitStride(row["leg"], row["t_start"], row["cadence_spm"], row["speed_mps"],
                         row["kickback_deg"], row["knee_elevation_deg"], row["kickback_zone"],
                         row["knee_elevation_zone"], row["quality"].get("kickback_uncertainty_deg", 0.0),
                         row["quality"].get("knee_elevation_uncertainty_deg", 0.0), row["low_quality"])
               for row in rows]
    duration = session.duration_s or max((row["t_end"] for row in rows), default=0.0)
    return fit_activity(session.started_at, duration, strides, serial=session.pk)
