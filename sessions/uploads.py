"""Uploaded recordings become sessions in the background: the request stores the file and
queues it (`accept`), a worker reads it a block at a time, storing raw samples and feeding the
stride engine as it goes (`process`), so memory stays near one block whatever the file's size."""

from __future__ import annotations

import fcntl
import io
import logging
import os
import queue
import shutil
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, reset_queries, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from athletes.models import RunnerProfile
from ingest.protocol import runs
from ingest.protocol.ble import INSTANT_BYTES, PacketError, lsb, quantise
from metrics.core import RecordingError, StrideEngine
from metrics.core.engine import estimate_sample_rate
from metrics.core.recording import open_recording, read_blocks
from metrics.models import StrideRecord, body_of, zone_table_for
from sessions.models import RawChunk, RunSession, Upload
from sessions.services import UPLOAD_RANGES, raw_chunks, stored_samples
from stridesite.durability import commits_not_flushed

log = logging.getLogger(__name__)
MIN_SAMPLES = 200


MAX_BYTES = 400 * 1024 * 1024  # read a block at a time: a 2-hour 200 Hz CSV is 300 MB
WHOLE_MAX_BYTES = 32 * 1024 * 1024  # a form posted whole (no script): daphne holds its body in memory
PART_BYTES = 2 * 1024 * 1024  # the browser sends a file in parts: under Django's 2.5 MB body limit
PRECHECK_BYTES = 256 * 1024  # the start of a file, read while the runner waits
OPEN_UPLOADS = 2  # a runner's own files being sent or analysed at once
# A file that got no part this long was given up (the page closed): it and its session go. A
# run synced from the leggings resumes where it stopped, so it is kept a day.
ABANDONED_S = {Upload.Kind.CSV.value: 30 * 60, Upload.Kind.RUN.value: 24 * 3600}
DAILY_HOURS = 24  # of recording at 200 Hz a runner may store from files in any 24 hours
DAILY_SAMPLES = DAILY_HOURS * 3600 * 200
IN_PROGRESS = (Upload.Stage.RECEIVING, Upload.Stage.QUEUED, Upload.Stage.READING)


class UploadRefused(ValueError):
    """A part or a file the server will not take; the message says why."""


def check_start(head: bytes, whole: bool) -> None:
    """The start of a file (plain or gzip): header, first rows and their times; a file held
    whole must also have MIN_SAMPLES complete rows. Raises RecordingError naming the line.
    Most bad files are told here, at once; the rest fails its session in the background."""
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 4 * PRECHECK_BYTES)
        except zlib.error:
            raise RecordingError("the file looks gzip-compressed but is not") from None
        whole = False
    if not whole:
        head = head[: head.rfind(b"\n") + 1] or head  # whole lines only
    imu = np.concatenate([block.imu for block, _ in read_blocks(io.BytesIO(head))])
    complete = np.isfinite(imu).all(axis=1)
    if whole and np.count_nonzero(complete) < MIN_SAMPLES:
        raise RecordingError(
            f"only {np.count_nonzero(complete)} rows have all 24 IMU values as numbers (the first "
            f"without: line {int(np.argmin(complete)) + 2}); a session needs at least {MIN_SAMPLES}")


def same_file(runner: RunnerProfile, name: str, size: int):
    """When the runner already stored a file of this name and size (a session she kept): its date."""
    earlier = Upload.objects.filter(session__runner=runner, name=name[:255], size_bytes=size).exclude(
        stage=Upload.Stage.FAILED).order_by("-created_at").first()
    return earlier.created_at if earlier else None


def begin(runner: RunnerProfile, name: str, size: int, notes: str = "",
          kind: str = Upload.Kind.CSV) -> Upload:
    """A session (processing) and an empty stored file that parts will fill (`receive`)."""
    if not 0 < size <= MAX_BYTES:
        raise UploadRefused(f"the file must hold 1 byte to {MAX_BYTES // 2**20} MB (compress it: .csv.gz)")
    if kind == Upload.Kind.CSV:  # synced runs have their own limit (ingest.synced.MAX_RECEIVING)
        remove_abandoned(Upload.objects.filter(session__runner=runner))
        busy = Upload.objects.filter(session__runner=runner, kind=kind, stage__in=IN_PROGRESS).count()
        if busy >= OPEN_UPLOADS:
            raise UploadRefused(f"{busy} of your files are still being sent or analysed: wait until one "
                                f"is done (at most {OPEN_UPLOADS} at a time)")
    folder = Path(settings.UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / uuid.uuid4().hex
    path.touch()
    with transaction.atomic():
        session = RunSession.objects.create(
            runner=runner, started_at=timezone.now(), status=RunSession.Status.PROCESSING,
            source=RunSession.Source.UPLOAD, notes=notes[:5000])
        return Upload.objects.create(session=session, path=str(path), name=name[:255] or "upload.csv",
                                     size_bytes=size, stage=Upload.Stage.RECEIVING, kind=kind)


def remove_abandoned(uploads: QuerySet[Upload] | None = None) -> int:
    """Delete the uploads (all, or those given) that got no part for ABANDONED_S, with their
    sessions and stored files; returns how many."""
    now, gone = time.time(), 0
    for upload in (Upload.objects.all() if uploads is None else uploads).filter(stage=Upload.Stage.RECEIVING):
        path = Path(upload.path)
        last_part = path.stat().st_mtime if path.exists() else 0.0
        if now - last_part > ABANDONED_S[upload.kind]:
            upload.session.delete()  # the upload and its file go with it
            gone += 1
    return gone


def receive(upload: Upload, offset: int, data: bytes) -> int:
    """Append one part at `offset` (a part sent twice is taken once, also when the retry comes
    while the first is still being written: the file is locked from its size to the write);
    returns the bytes held."""
    if upload.stage != Upload.Stage.RECEIVING:
        raise UploadRefused("this upload is not receiving parts")
    with open(upload.path, "r+b") as target:  # not "ab": a file removed meanwhile is not made again
        fcntl.flock(target, fcntl.LOCK_EX)  # released when the file closes
        held = target.seek(0, os.SEEK_END)
        if offset != held or len(data) > PART_BYTES or held + len(data) > upload.size_bytes:
            if offset + len(data) == held:  # a retry of the part just taken
                return held
            raise UploadRefused(f"expected at most {PART_BYTES} bytes at offset {held}")
        target.write(data)
    held += len(data)
    Upload.objects.filter(pk=upload.pk).update(progress=held / upload.size_bytes)
    return held


def finish(upload: Upload) -> None:
    """Every part is in: check the start of the file and queue the work, or refuse the file
    (RecordingError naming the line: nothing of it is kept)."""
    path = Path(upload.path)
    if upload.stage != Upload.Stage.RECEIVING or path.stat().st_size != upload.size_bytes:
        raise UploadRefused(f"the file is not complete: {path.stat().st_size} of {upload.size_bytes} bytes")
    with open(path, "rb") as handle:
        head = handle.read(PRECHECK_BYTES)
    try:
        check_start(head, whole=len(head) == upload.size_bytes)
    except RecordingError:
        upload.session.delete()  # the file goes with it
        raise
    queue_work(upload)


def queue_work(upload: Upload) -> None:
    from sessions.tasks import process_upload

    Upload.objects.filter(pk=upload.pk).update(stage=Upload.Stage.QUEUED, progress=0.0)
    process_upload(upload.pk)


def accept(runner: RunnerProfile, uploaded: UploadedFile, notes: str = "") -> RunSession:
    """A file posted whole (a form without script), its start already checked by the form's
    `clean_file`: stored and queued."""
    upload = begin(runner, uploaded.name, uploaded.size, notes)
    if hasattr(uploaded, "temporary_file_path"):
        shutil.move(uploaded.temporary_file_path(), upload.path)
    else:
        with open(upload.path, "wb") as target:
            for piece in uploaded.chunks():
                target.write(piece)
    queue_work(upload)
    return upload.session


def process(upload_id: int) -> None:
    """Read, store and analyse one upload; its session ends done, or failed with the reason
    (and nothing of it kept but the reason)."""
    upload = Upload.objects.select_related("session__runner").filter(pk=upload_id).first()
    if upload is None or upload.stage != Upload.Stage.QUEUED:
        return  # deleted meanwhile, or already handled
    Upload.objects.filter(pk=upload.pk).update(stage=Upload.Stage.READING)
    try:
        if upload.kind == Upload.Kind.RUN:
            with open(upload.path, "rb") as handle:
                _read(upload, handle, _run_samples(handle))
        else:
            with open_recording(upload.path) as handle:
                _read(upload, handle, _samples(handle))
    except RecordingError as error:
        _fail(upload, str(error))
    except Exception:
        log.exception("upload %s could not be analysed", upload.pk)
        _fail(upload, "The file could not be analysed (an internal error, logged for the team).")
    finally:
        Path(upload.path).unlink(missing_ok=True)


def _read(upload: Upload, handle, samples: Iterator) -> None:
    session, runner = upload.session, upload.session.runner
    position = (handle.fileobj if hasattr(handle, "fileobj") else handle).tell  # bytes of the stored file
    engine, rate, last, kept = None, 0, -1, 0
    allowed = DAILY_SAMPLES - samples_stored_today(runner, but=session)
    with _BlockWriter(upload) as writer:
        for rate, t0, indices, raw, values in read_ahead(samples):
            if kept + len(indices) > allowed:
                raise RecordingError(f"a runner may store at most {DAILY_HOURS} hours of recording at "
                                     "200 Hz from files in 24 hours, and this file would go past it: "
                                     "send it tomorrow")
            if engine is None:
                engine = StrideEngine(body_of(runner), zones=zone_table_for(runner), sample_rate=rate)
                _keep_recorded_date(session, t0)
            strides = engine.feed(indices / rate, values)
            writer.put(indices, raw, strides, min(position() / max(upload.size_bytes, 1), 0.99))
            last, kept = int(indices[-1]), kept + len(indices)
    if kept < MIN_SAMPLES:
        raise RecordingError(f"only {kept} rows have all 24 IMU values as numbers; a session needs at "
                             f"least {MIN_SAMPLES}")
    with transaction.atomic():
        StrideRecord.store(session, engine.finish())
        RunSession.objects.filter(pk=session.pk).update(
            status=RunSession.Status.DONE, sample_rate_hz=rate, clock_origin=0, last_index=last,
            ended_at=session.started_at + timedelta(seconds=last / rate))
        Upload.objects.filter(pk=upload.pk).update(stage=Upload.Stage.DONE, progress=1.0,
                                                   finished_at=timezone.now())


def samples_stored_today(runner: RunnerProfile, but: RunSession) -> int:
    """Samples stored from the runner's files (uploaded or synced) started in the last 24 hours."""
    since = timezone.now() - timedelta(hours=24)
    stored = RawChunk.objects.filter(session__runner=runner, session__upload__created_at__gte=since)
    return stored.exclude(session=but).aggregate(total=Sum("count"))["total"] or 0


class _BlockWriter:
    """Each block's samples, strides and progress, committed together (one transaction a block)
    on a thread with its own database connection while the engine works on the next block. In
    the caller's thread when the caller is inside a transaction (the unit tests), whose rows
    another connection could not see."""

    def __init__(self, upload: Upload) -> None:
        self.upload, self.session = upload, upload.session
        self.threaded = not connection.in_atomic_block
        self.blocks: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None

    def __enter__(self) -> _BlockWriter:
        if self.threaded:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        return self

    def put(self, indices: np.ndarray, raw: np.ndarray, strides: list, progress: float) -> None:
        if self.error is not None:
            raise self.error
        if self.threaded:
            self.blocks.put((indices, raw, strides, progress))
        else:
            self._write(indices, raw, strides, progress)

    def __exit__(self, kind, error, trace) -> None:
        if self.threaded:
            self.blocks.put(None)
            self.thread.join()
            if self.error is not None and kind is None:
                raise self.error

    def _run(self) -> None:
        try:
            with commits_not_flushed():  # the commit that marks the upload done flushes all
                while (block := self.blocks.get()) is not None:
                    if self.error is None:  # after a failure, only drain what the reader still sends
                        try:
                            self._write(*block)
                        except BaseException as error:  # handed to the reader's thread
                            self.error = error
        finally:
            connection.close()

    def _write(self, indices: np.ndarray, raw: np.ndarray, strides: list, progress: float) -> None:
        with transaction.atomic():
            RawChunk.objects.bulk_create(raw_chunks(self.session, indices, raw))
            StrideRecord.store(self.session, strides)
            Upload.objects.filter(pk=self.upload.pk).update(progress=progress)
        reset_queries()  # with DEBUG on, Django logs every query: its blobs would pile up


def _samples(handle) -> Iterator[tuple[int, float, np.ndarray, np.ndarray, np.ndarray]]:
    """Per block of the file, the samples it keeps: (sample rate, time of the first row, sample
    indices, int16 samples, their physical values for the engine); the rate and time origin come
    from the first block."""
    rate, t0, last, scale = 0, 0.0, -1, lsb(*UPLOAD_RANGES)
    for block, line in read_blocks(handle):
        if not rate:
            rate = round(estimate_sample_rate(block.t)) if len(block) > 8 else 0
            if rate <= 0:
                raise RecordingError(f"line {line}: too few samples to tell the sample rate")
            t0 = float(block.t[0])
        indices, raw = stored_samples(block, rate, t0, after=last)
        if len(indices):
            last = int(indices[-1])
            yield rate, t0, indices, raw, raw * scale


RUN_BLOCK = 20_000  # instants of a run file read at a time (100 s at 200 Hz, 1 MB)


def _run_samples(handle) -> Iterator[tuple[int, float, np.ndarray, np.ndarray, np.ndarray]]:
    """The same, from a run synced from the leggings: its header, then blocks of int16 samples at
    the leggings' ranges, stored at UPLOAD_RANGES; t = 0 at its first sample, dated by its start."""
    try:
        info = runs.decode_file_header(handle.read(runs.FILE.size))
    except PacketError as error:
        raise RecordingError(str(error)) from None
    if info.fault():
        raise RecordingError(info.fault())
    scale, stored = lsb(info.accel_range_g, info.gyro_range_dps), lsb(*UPLOAD_RANGES)
    for first in range(0, info.instants, RUN_BLOCK):
        n = min(RUN_BLOCK, info.instants - first)
        data = handle.read(n * INSTANT_BYTES)
        if len(data) != n * INSTANT_BYTES:
            raise RecordingError(f"run {info.run_id}: the file ends after {first} of {info.instants} samples")
        values = np.frombuffer(data, dtype="<i2").reshape(n, 24) * scale
        raw = quantise(values, *UPLOAD_RANGES)
        yield info.rate_hz, float(info.start_unix), first + np.arange(n), raw, raw * stored


EPOCH_FROM = datetime(2000, 1, 1, tzinfo=UTC).timestamp()


def _keep_recorded_date(session: RunSession, t0: float) -> None:
    """A file whose times are Unix seconds (devices that stamp samples with the clock) keeps the
    date it was recorded on; any other file is dated when it was uploaded."""
    if EPOCH_FROM <= t0 <= timezone.now().timestamp() + 86_400:
        session.started_at = datetime.fromtimestamp(t0, tz=UTC)
        RunSession.objects.filter(pk=session.pk).update(started_at=session.started_at)


def read_ahead(items: Iterator, depth: int = 2) -> Iterator:
    """`items`, produced by a thread up to `depth` ahead: decompressing, parsing and quantising the
    file (which release the GIL) overlap the engine and the database work on the other core."""
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
