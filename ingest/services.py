"""Server side of the ingest protocol: dedup, raw storage, sessions, strides (docs/ingest-protocol.md)."""

from __future__ import annotations

import logging
import random
import time
import zlib
from datetime import timedelta

import numpy as np
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
SEEN_EVERY_S = 2.0  # a connected station's last_seen is refreshed this often …
OFFLINE_AFTER_S = 5.0  # … and it counts as offline once older than this


class FrameRefused(Exception):
    """A well-formed frame this station may not write (SPEC §8)."""


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
    """One leggings' stream on one connection.

    Dedup and session state live in memory; each frame goes to its session's engine (which
    sees it at once whenever a stride may complete: metrics/core/pacing.py), and frames are
    written in small batches — one transaction per FLUSH_FRAMES frames or FLUSH_S seconds —
    and acknowledged only once written.
    """

    # Re-read permission and cursor every 50-100 frames (~10 s of frames at most), staggered at
    # random: a squad's leggings start together and would otherwise all re-read in the same trip.
    RECHECK_FRAMES = 100
    FLUSH_FRAMES = 10
    FLUSH_S = 1.0

    def __init__(self, station: IngestStation, address: str) -> None:
        self.station, self.address = station, address
        self.frames_since_check = self.RECHECK_FRAMES
        self.session: RunSession | None = None
        self.pending: list[tuple[SampleFrame, RunSession]] = []
        self.pending_since = 0.0
        self.runner_id: int | None = None
        self.squad_ids: list[int] = []
        self.station_squad_ids: list[int] = []  # those the station's own coach coaches
        self.announced = ""  # the live status last broadcast for this runner

    def refresh(self) -> None:
        """(Re)read the leggings, its runner and squads, and the stored cursor."""
        self._check()

    def _check(self) -> None:
        leggings = (station_leggings(self.station).filter(ble_address=self.address)
                    .select_related("runner").first())
        if leggings is None or leggings.runner is None:
            raise FrameRefused(f"{self.address}: not leggings of this station's squads")
        self.leggings = leggings
        self.runner_id = leggings.runner_id
        self.squad_ids = list(leggings.runner.squads.values_list("pk", flat=True))
        self.station_squad_ids = list(leggings.runner.squads.filter(coaches=self.station.coach_id)
                                      .values_list("pk", flat=True))
        cursor, _ = IngestCursor.objects.get_or_create(leggings=leggings)
        self.next_seq = cursor.next_seq + len(self.pending)
        self.frames_since_check = random.randrange(self.RECHECK_FRAMES // 2)

    def receive(self, frame: SampleFrame) -> tuple[int | None, list[tuple[int, Stride]], RunSession | None]:
        """Take a frame: (ack to send or None, the strides it completed with their numbers in the
        session, its session). Raises FrameRefused."""
        result = self.receive_many([frame])[0]
        if isinstance(result, FrameRefused):
            raise result
        return result

    def receive_many(self, frames: list[SampleFrame]) -> list:
        """Take frames in order: per frame `receive`'s result, or the FrameRefused. The engine is
        fed once per run of frames of one session (a backlog of frames costs it one call, not one
        a frame: the engine's cost is per call); a run's strides come with its last frame."""
        results: list = []  # one per frame, in order
        run: list[int] = []  # frames taken into one session whose samples the engine has not seen
        for k, frame in enumerate(frames):
            if run and not self._continues(frame):
                self._feed(frames, run, results)  # before a new session may close the run's
            try:
                ack, session = self._take(frame)
            except FrameRefused as error:
                results.append(error)
                continue
            results.append((ack, [], session))
            if session is not None:  # (None: a duplicate or a gap, nothing taken)
                run.append(k)
        self._feed(frames, run, results)
        return results

    def _take(self, frame: SampleFrame) -> tuple[int | None, RunSession | None]:
        """A frame's bookkeeping: (the ack to resend, None) for a duplicate or a gap, else (None, its
        session) with the frame pending."""
        if self.frames_since_check >= self.RECHECK_FRAMES and not self.pending:
            self._check()
        self.frames_since_check += 1
        if frame.seq != self.next_seq:  # a duplicate (already taken) or a gap (the agent resends)
            return (self.next_seq - 1 - len(self.pending)) if not self.pending else None, None
        session = self._session(frame)
        self.next_seq = frame.seq + 1
        if not self.pending:
            self.pending_since = time.monotonic()
        self.pending.append((frame, session))
        session.last_index = int(frame.indices[-1])
        session.ended_at = timezone.now()
        return None, session

    def _feed(self, frames: list[SampleFrame], run: list[int], results: list) -> None:
        """The run's samples to its session's engine; its strides stored, then given to the run's
        last frame's result. Empties the run."""
        if not run:
            return
        session = results[run[-1]][2]
        indices = np.concatenate([frames[k].indices for k in run])
        numbered = live.feed(session, indices, np.concatenate([frames[k].physical() for k in run]))
        _store(session, numbered)
        results[run[-1]] = (None, numbered, session)
        run.clear()

    def release(self) -> list[tuple[int, Stride]]:
        """The stream stopped: the strides of the samples its engine still holds, stored."""
        if self.session is None:
            return []
        numbered = live.release(self.session)
        _store(self.session, numbered)
        return numbered

    def due(self) -> bool:
        """Frames wait to be written (`flush_together`) until FLUSH_FRAMES or FLUSH_S."""
        return bool(self.pending) and (len(self.pending) >= self.FLUSH_FRAMES
                                       or time.monotonic() - self.pending_since >= self.FLUSH_S)

    def flush(self) -> int | None:
        """Write the pending frames in one transaction; returns the seq now acknowledged."""
        return flush_together([self]).get(self.address)

    def claim(self) -> tuple[list[RawChunk], int | None]:
        """Inside the caller's transaction: move the cursor past the pending frames and note
        their sessions' progress; (the frames' chunks to insert, the seq to acknowledge), or
        ([], None) when there is nothing to write."""
        if not self.pending:
            return [], None
        first, last = self.pending[0][0].seq, self.pending[-1][0].seq
        advanced = IngestCursor.objects.filter(leggings=self.leggings, next_seq=first).update(
            next_seq=last + 1)
        if not advanced:  # another connection stored these meanwhile: start over from the cursor
            self.pending, self.frames_since_check = [], self.RECHECK_FRAMES
            return [], None
        chunks = [_chunk(frame, session) for frame, session in self.pending]
        for session in {id(s): s for _, s in self.pending}.values():
            session.save(update_fields=["last_index", "ended_at"])
        self.pending = []
        return chunks, last

    def _continues(self, frame: SampleFrame) -> bool:
        """The frame belongs to the session the last frame went to."""
        session = self.session
        return (session is not None and session.runner_id == self.leggings.runner_id
                and frame.rate_hz == session.sample_rate_hz
                and 0 <= (frame.first_index - session.last_index) / session.sample_rate_hz <= IDLE_CLOSE_S)

    def _session(self, frame: SampleFrame) -> RunSession:
        if self._continues(frame):
            return self.session
        self.flush()
        self.session = _session_for(self.leggings, frame, self.station)
        return self.session

    def end(self) -> list[tuple[int, Stride, RunSession]]:
        """The agent ended its run cleanly: write what is pending and close the leggings' live
        session if it streams through this station (on whichever connection), so the next run,
        even seconds later, is a session of its own. Returns the last strides the engine completed:
        (number, stride, session)."""
        if self.runner_id is None:
            self._check()
        self.flush()
        self.session = None
        last = []
        for session in RunSession.objects.filter(leggings=self.leggings, station=self.station,
                                                 status=RunSession.Status.LIVE):
            last += [(number, stride, session) for number, stride in close_session(session)]
        return last


def flush_together(devices: list[DeviceIngest]) -> dict[str, int]:
    """Write every device's pending frames in one transaction (one commit for the station's
    socket, not one per leggings); returns the seq now acknowledged per address."""
    acks, chunks = {}, []
    with transaction.atomic():
        for device in devices:
            claimed, last = device.claim()
            if last is not None:
                chunks += claimed
                acks[device.address] = last
        RawChunk.objects.bulk_create(chunks)  # one insert for the station's frames
    return acks


def close_socket(devices: list[DeviceIngest]) -> list[tuple[DeviceIngest, int, Stride]]:
    """A station's socket closed: its frames written, and the strides of the samples its engines
    still held, stored (the sessions stay live: the agent may come back)."""
    flush_together(devices)
    return [(device, number, stride) for device in devices for number, stride in device.release()]


def _store(session: RunSession, numbered: list[tuple[int, Stride]]) -> None:
    # Stored before they are shown, in a commit that does not wait for the disk (the frames'
    # next commit flushes it); a feed that completed no stride writes nothing.
    StrideRecord.store(session, [stride for _, stride in numbered], ignore_conflicts=True, unflushed=True)


def _chunk(frame: SampleFrame, session: RunSession) -> RawChunk:
    return RawChunk(
        session=session, frame_seq=frame.seq, first_index=frame.first_index, count=len(frame.raw),
        accel_range_g=frame.accel_range_g, gyro_range_dps=frame.gyro_range_dps,
        offsets=frame.offsets.astype("<u2").tobytes(),
        samples=zlib.compress(frame.raw.astype("<i2").tobytes(), 1),
    )


def _session_for(leggings: Leggings, frame: SampleFrame, station: IngestStation) -> RunSession:
    """The leggings' live session (now through this station), or a new one when none is open or
    the stream restarted."""
    with transaction.atomic():
        session = (RunSession.objects.select_for_update()
                   .filter(leggings=leggings, status=RunSession.Status.LIVE).order_by("-started_at").first())
        if session is not None:
            gap = (frame.first_index - (session.last_index or 0)) / session.sample_rate_hz
            if session.runner_id == leggings.runner_id and 0 <= gap <= IDLE_CLOSE_S \
                    and frame.rate_hz == session.sample_rate_hz:
                if session.station_id != station.pk:
                    session.station = station
                    session.save(update_fields=["station"])
                return session
            close_session(session)
        now = timezone.now()
        return RunSession.objects.create(
            runner=leggings.runner, leggings=leggings, station=station, started_at=now, ended_at=now,
            status=RunSession.Status.LIVE, source=RunSession.Source.LIVE,
            sample_rate_hz=frame.rate_hz, clock_origin=frame.first_index, last_index=frame.first_index,
        )


def close_session(session: RunSession) -> list[tuple[int, Stride]]:
    """End a live session: flush its engine (its last strides are returned, numbered), mark it done."""
    numbered = live.finish(session)
    StrideRecord.store(session, [stride for _, stride in numbered], ignore_conflicts=True)
    session.status = RunSession.Status.DONE
    session.save(update_fields=["status"])
    return numbered


def close_idle_sessions() -> int:
    """Close live sessions that received nothing for IDLE_CLOSE_S; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=IDLE_CLOSE_S)
    idle = list(RunSession.objects.filter(status=RunSession.Status.LIVE, ended_at__lt=cutoff))
    for session in idle:
        close_session(session)
    return len(idle)


def mark_seen(station: IngestStation) -> None:
    """The station's agent is connected (SEEN_EVERY_S): any process can tell it is online."""
    IngestStation.objects.filter(pk=station.pk).update(last_seen=timezone.now())


def revoke_station(station: IngestStation) -> None:
    """Revoke the token and drop the station's open sockets."""
    station.revoke()
    async_to_sync(get_channel_layer().group_send)(station_group(station.pk), {"type": "station.revoked"})
