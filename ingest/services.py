"""Server side of the ingest protocol: dedup, raw storage, sessions, strides (docs/ingest-protocol.md)."""

from __future__ import annotations

import logging
import time
import zlib
from dataclasses import dataclass, field
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from ingest import live
from ingest.models import IngestCursor, IngestStation, Leggings
from ingest.protocol.frames import SampleFrame
from metrics.core import Stride
from metrics.models import StrideRecord
from sessions.models import RawChunk, RunSession
from stridesite.permissions import station_leggings

log = logging.getLogger(__name__)
IDLE_CLOSE_S = 60.0


class FrameRefused(Exception):
    """A well-formed frame this station may not write (SPEC §8)."""


@dataclass
class Stored:
    ack: int  # highest contiguous frame seq stored for the device
    session: RunSession | None = None
    strides: list[Stride] = field(default_factory=list)


def station_group(station_id: int) -> str:
    return f"station.{station_id}"


def station_config(station: IngestStation) -> dict:
    """What the agent needs: the leggings it may stream, their mounting and the next frame seq."""
    leggings = station_leggings(station).select_related("runner").order_by("serial")
    cursors = dict(IngestCursor.objects.filter(leggings__in=leggings).values_list("leggings_id", "next_seq"))
    return {
        "station": station.name,
        "leggings": [
            {"serial": item.serial, "ble_name": item.ble_name, "ble_address": item.ble_address,
             "runner": item.runner.display_name if item.runner else None, "mounting": item.mounting,
             "next_seq": cursors.get(item.pk, 0)}
            for item in leggings
        ],
    }


class DeviceIngest:
    """One leggings' stream on one connection: dedup and session state kept in memory, so a
    frame costs one short transaction (chunk insert + cursor advance)."""

    RECHECK_FRAMES = 100  # re-read permission and cursor every ~10 s of frames
    SESSION_SAVE_S = 2.0

    def __init__(self, station: IngestStation, address: str) -> None:
        self.station, self.address = station, address
        self.frames_since_check = self.RECHECK_FRAMES
        self.session: RunSession | None = None
        self.session_saved_at = 0.0

    def _check(self) -> None:
        leggings = (station_leggings(self.station).filter(ble_address=self.address)
                    .select_related("runner").first())
        if leggings is None or leggings.runner is None:
            raise FrameRefused(f"{self.address}: not leggings of this station's squads")
        self.leggings = leggings
        cursor, _ = IngestCursor.objects.get_or_create(leggings=leggings)
        self.next_seq = cursor.next_seq
        self.frames_since_check = 0

    def store(self, frame: SampleFrame) -> Stored:
        """Store the frame exactly once, then run it through its session's engine."""
        if self.frames_since_check >= self.RECHECK_FRAMES:
            self._check()
        self.frames_since_check += 1
        if frame.seq != self.next_seq:  # a duplicate (already stored) or a gap (the agent resends)
            return Stored(ack=self.next_seq - 1)
        session = self._session(frame)
        with transaction.atomic():
            advanced = IngestCursor.objects.filter(leggings=self.leggings, next_seq=frame.seq).update(
                next_seq=frame.seq + 1)
            if not advanced:  # another connection stored it meanwhile
                self.frames_since_check = self.RECHECK_FRAMES
                transaction.set_rollback(True)
                return Stored(ack=frame.seq - 1)
            RawChunk.objects.create(
                session=session, frame_seq=frame.seq, first_index=frame.first_index, count=len(frame.raw),
                accel_range_g=frame.accel_range_g, gyro_range_dps=frame.gyro_range_dps,
                offsets=frame.offsets.astype("<u2").tobytes(),
                samples=zlib.compress(frame.raw.astype("<i2").tobytes(), 1),
            )
        self.next_seq = frame.seq + 1
        session.last_index = int(frame.indices[-1])
        session.ended_at = timezone.now()
        if time.monotonic() - self.session_saved_at > self.SESSION_SAVE_S:
            session.save(update_fields=["last_index", "ended_at"])
            self.session_saved_at = time.monotonic()
        strides = live.feed(session, frame.indices, frame.physical())
        _save_strides(session, strides)
        return Stored(ack=frame.seq, session=session, strides=strides)

    def save_progress(self) -> None:
        """Write the session's newest sample and time (done every few seconds, and at the end)."""
        if self.session is not None:
            self.session.save(update_fields=["last_index", "ended_at"])

    def _session(self, frame: SampleFrame) -> RunSession:
        session = self.session
        if session is not None and session.runner_id == self.leggings.runner_id \
                and frame.rate_hz == session.sample_rate_hz \
                and 0 <= (frame.first_index - session.last_index) / session.sample_rate_hz <= IDLE_CLOSE_S:
            return session
        self.session = _session_for(self.leggings, frame)
        self.session_saved_at = time.monotonic()
        return self.session


def store_frame(station: IngestStation, frame: SampleFrame) -> Stored:
    """Store one frame with a fresh device state (tests and one-off callers)."""
    return DeviceIngest(station, frame.address).store(frame)


def _session_for(leggings: Leggings, frame: SampleFrame) -> RunSession:
    """The leggings' live session, or a new one when none is open or the stream restarted."""
    with transaction.atomic():
        session = (RunSession.objects.select_for_update()
                   .filter(leggings=leggings, status=RunSession.Status.LIVE).order_by("-started_at").first())
        if session is not None:
            gap = (frame.first_index - (session.last_index or 0)) / session.sample_rate_hz
            if session.runner_id == leggings.runner_id and 0 <= gap <= IDLE_CLOSE_S \
                    and frame.rate_hz == session.sample_rate_hz:
                return session
            close_session(session)
        now = timezone.now()
        return RunSession.objects.create(
            runner=leggings.runner, leggings=leggings, started_at=now, ended_at=now,
            status=RunSession.Status.LIVE, source=RunSession.Source.LIVE,
            sample_rate_hz=frame.rate_hz, clock_origin=frame.first_index, last_index=frame.first_index,
        )


def close_session(session: RunSession) -> None:
    """End a live session: flush its engine, mark it done."""
    _save_strides(session, live.finish(session))
    session.status = RunSession.Status.DONE
    session.save(update_fields=["status"])


def close_idle_sessions() -> int:
    """Close live sessions that received nothing for IDLE_CLOSE_S; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=IDLE_CLOSE_S)
    idle = list(RunSession.objects.filter(status=RunSession.Status.LIVE, ended_at__lt=cutoff))
    for session in idle:
        close_session(session)
    return len(idle)


def _save_strides(session: RunSession, strides: list[Stride]) -> None:
    if strides:
        StrideRecord.objects.bulk_create(
            [StrideRecord.from_stride(session, s) for s in strides], ignore_conflicts=True
        )


def revoke_station(station: IngestStation) -> None:
    """Revoke the token and drop the station's open sockets."""
    station.revoke()
    async_to_sync(get_channel_layer().group_send)(station_group(station.pk), {"type": "station.revoked"})
