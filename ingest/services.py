"""Server side of the ingest protocol: dedup, raw storage, sessions, strides (docs/ingest-protocol.md)."""

from __future__ import annotations

import logging
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


def store_frame(station: IngestStation, frame: SampleFrame) -> Stored:
    """Store one frame exactly once, then run it through its session's engine."""
    leggings = station_leggings(station).filter(ble_address=frame.address).select_related("runner").first()
    if leggings is None or leggings.runner is None:
        raise FrameRefused(f"{frame.address}: not leggings of this station's squads")
    with transaction.atomic():
        cursor, _ = IngestCursor.objects.select_for_update().get_or_create(leggings=leggings)
        if frame.seq != cursor.next_seq:  # a duplicate (already stored) or a gap (agent resends)
            return Stored(ack=cursor.next_seq - 1)
        session = _session_for(leggings, frame)
        RawChunk.objects.create(
            session=session, frame_seq=frame.seq, first_index=frame.first_index, count=len(frame.raw),
            accel_range_g=frame.accel_range_g, gyro_range_dps=frame.gyro_range_dps,
            offsets=frame.offsets.astype("<u2").tobytes(),
            samples=zlib.compress(frame.raw.astype("<i2").tobytes(), 1),
        )
        session.last_index = int(frame.indices[-1])
        session.ended_at = timezone.now()
        session.save(update_fields=["last_index", "ended_at"])
        cursor.next_seq += 1
        cursor.save(update_fields=["next_seq"])
    strides = live.feed(session, frame.indices, frame.physical())
    _save_strides(session, strides)
    return Stored(ack=frame.seq, session=session, strides=strides)


def _session_for(leggings: Leggings, frame: SampleFrame) -> RunSession:
    """The leggings' live session, or a new one when none is open or the stream restarted."""
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
