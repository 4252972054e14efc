"""Uploaded recordings become sessions in the background: the request stores the file and
queues it (`accept`), a worker reads it a block at a time, storing raw samples and feeding the
stride engine as it goes (`process`), so memory stays near one block whatever the file's size."""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from athletes.models import RunnerProfile
from ingest.protocol.ble import lsb, quantise
from metrics.core import RecordingError, StrideEngine
from metrics.core.engine import estimate_sample_rate
from metrics.core.recording import open_recording, read_blocks
from metrics.models import StrideRecord, body_of, zone_table_for
from sessions.models import RawChunk, RunSession, Upload
from sessions.services import UPLOAD_RANGES, raw_chunks

log = logging.getLogger(__name__)
MIN_SAMPLES = 200


def accept(runner: RunnerProfile, uploaded: UploadedFile, notes: str = "") -> RunSession:
    """Store the file, create its session (processing) and queue the work; returns at once."""
    from sessions.tasks import process_upload

    folder = Path(settings.UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / uuid.uuid4().hex
    if hasattr(uploaded, "temporary_file_path"):
        shutil.move(uploaded.temporary_file_path(), path)
    else:
        with open(path, "wb") as target:
            for piece in uploaded.chunks():
                target.write(piece)
    with transaction.atomic():
        session = RunSession.objects.create(
            runner=runner, started_at=timezone.now(), status=RunSession.Status.PROCESSING,
            source=RunSession.Source.UPLOAD, notes=notes)
        upload = Upload.objects.create(session=session, path=str(path), name=uploaded.name[:255],
                                       size_bytes=uploaded.size)
    process_upload(upload.pk)
    return session


def process(upload_id: int) -> None:
    """Read, store and analyse one upload; its session ends done, or failed with the reason
    (and nothing of it kept but the reason)."""
    upload = Upload.objects.select_related("session__runner").filter(pk=upload_id).first()
    if upload is None or upload.stage != Upload.Stage.QUEUED:
        return  # deleted meanwhile, or already handled
    Upload.objects.filter(pk=upload.pk).update(stage=Upload.Stage.READING)
    try:
        with open_recording(upload.path) as handle:
            _read(upload, handle)
    except RecordingError as error:
        _fail(upload, str(error))
    except Exception:
        log.exception("upload %s could not be analysed", upload.pk)
        _fail(upload, "The file could not be analysed (an internal error, logged for the team).")
    finally:
        Path(upload.path).unlink(missing_ok=True)


def _read(upload: Upload, handle) -> None:
    session, runner = upload.session, upload.session.runner
    position = (handle.fileobj if hasattr(handle, "fileobj") else handle).tell  # bytes of the stored file
    engine, rate, t0, last, kept, strides = None, 0, 0.0, -1, 0, []
    for block, line in read_ahead(read_blocks(handle)):
        if engine is None:
            rate = round(estimate_sample_rate(block.t)) if len(block) > 8 else 0
            if rate <= 0:
                raise RecordingError(f"line {line}: too few samples to tell the sample rate")
            t0 = float(block.t[0])
            engine = StrideEngine(body_of(runner), zones=zone_table_for(runner), sample_rate=rate)
        indices = np.rint((block.t - t0) * rate).astype(np.int64)
        rises = np.diff(np.concatenate([[last], indices])) > 0  # two rows on one instant: the first
        keep = rises & np.isfinite(block.imu).all(axis=1)
        indices, raw = indices[keep], quantise(block.imu[keep], *UPLOAD_RANGES)
        if not len(indices):
            continue
        with transaction.atomic():  # one commit per block: the samples and how far it got
            RawChunk.objects.bulk_create(raw_chunks(session, indices, raw))
            progress = min(position() / max(upload.size_bytes, 1), 0.99)
            Upload.objects.filter(pk=upload.pk).update(progress=progress)
        strides += engine.feed(indices / rate, raw * lsb(*UPLOAD_RANGES))
        last, kept = int(indices[-1]), kept + len(indices)
    if kept < MIN_SAMPLES:
        raise RecordingError(f"only {kept} rows have all 24 IMU values as numbers; a session needs at "
                             f"least {MIN_SAMPLES}")
    strides += engine.finish()
    strides.sort(key=lambda s: (s.leg, s.t_start))
    with transaction.atomic():
        StrideRecord.store(session, strides)
        RunSession.objects.filter(pk=session.pk).update(
            status=RunSession.Status.DONE, sample_rate_hz=rate, clock_origin=0, last_index=last,
            ended_at=session.started_at + timedelta(seconds=last / rate))
        Upload.objects.filter(pk=upload.pk).update(stage=Upload.Stage.DONE, progress=1.0,
                                                   finished_at=timezone.now())


def read_ahead(items: Iterator, depth: int = 2) -> Iterator:
    """`items`, produced by a thread up to `depth` ahead: decompressing and parsing the file (which
    release the GIL) overlap the engine and the database work on the other core."""
    ready: queue.Queue = queue.Queue(depth)
    stop, end = threading.Event(), object()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(end)
        except BaseException as error:  # handed to the consumer, raised there
            offer(error)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _fail(upload: Upload, reason: str) -> None:
    with transaction.atomic():
        RawChunk.objects.filter(session_id=upload.session_id).delete()
        StrideRecord.objects.filter(session_id=upload.session_id).delete()
        RunSession.objects.filter(pk=upload.session_id).update(status=RunSession.Status.FAILED)
        Upload.objects.filter(pk=upload.pk).update(stage=Upload.Stage.FAILED, error=reason[:2000],
                                                   finished_at=timezone.now())
