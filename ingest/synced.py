"""Runs recorded on the leggings and synced by an agent (docs/ble-protocol.md, "Stored runs").

The agent offers a run (`offer`): the server answers with its state — already stored, or an
upload to fill in parts (resumable: it says how many bytes it holds), or being analysed. Once
every part is in (`finish`), the run is analysed in the background by the same worker and
engine as an uploaded file, and becomes a session with source "synced". A run is stored once
per leggings serial and run id; the agent erases it from the leggings only once the state says
"stored".
"""

from __future__ import annotations

from pathlib import Path

from django.db import IntegrityError, transaction

from ingest.models import IngestStation, Leggings
from ingest.protocol import runs
from ingest.protocol.ble import PacketError
from sessions import uploads
from sessions.models import RunSession, Upload
from stridesite.permissions import station_leggings

MAX_RECEIVING = 3  # runs of one leggings being sent at once (the agent sends one at a time)


class SyncRefused(ValueError):
    """Not this station's leggings (status 404), or not a run this server will take (400); the
    message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def state(session: RunSession) -> dict:
    """What the agent needs to know of a synced run: `stored` (erase it), `receiving` (send from
    `held`), `queued`/`reading` (ask again), `failed` (keep it on the leggings)."""
    upload = Upload.objects.filter(session=session).first()
    status = {RunSession.Status.DONE: "stored", RunSession.Status.FAILED: "failed"}.get(session.status)
    answer = {"session": session.pk, "state": status or (upload.stage if upload else "failed")}
    if upload is not None and upload.stage == Upload.Stage.RECEIVING:
        answer |= {"upload": upload.pk, "held": Path(upload.path).stat().st_size}
    if upload is not None and upload.error:
        answer["error"] = upload.error
    return answer


def _leggings(station: IngestStation, serial: str) -> Leggings:
    leggings = station_leggings(station).filter(serial=serial).select_related("runner").first()
    if leggings is None:
        raise SyncRefused(f"{serial}: not leggings this station may sync", status=404)
    return leggings


def offer(station: IngestStation, serial: str, info: runs.RunInfo) -> dict:
    """The state of this run on the server, starting its upload if it has none (or failed)."""
    leggings = _leggings(station, serial)
    if info.fault():
        raise SyncRefused(info.fault())
    session = RunSession.objects.filter(leggings=leggings, device_run=info.run_id).first()
    if session is not None and session.status == RunSession.Status.FAILED:
        session.delete()  # offered again: try again
        session = None
    if session is None:
        receiving = Upload.objects.filter(session__leggings=leggings, kind=Upload.Kind.RUN,
                                          stage=Upload.Stage.RECEIVING).count()
        if receiving >= MAX_RECEIVING:
            raise SyncRefused(f"{serial}: {receiving} runs are being sent already: finish those first")
        try:
            with transaction.atomic():
                upload = uploads.begin(leggings.runner, f"{serial} run {info.run_id}",
                                       runs.FILE.size + info.size_bytes, kind=Upload.Kind.RUN)
                session = upload.session
                session.source, session.device_run = RunSession.Source.SYNCED, info.run_id
                session.leggings, session.station = leggings, station
                session.save(update_fields=["source", "leggings", "device_run", "station"])
        except IntegrityError:  # another agent offered it meanwhile
            session = RunSession.objects.get(leggings=leggings, device_run=info.run_id)
        except uploads.UploadRefused as error:  # too large
            raise SyncRefused(f"run {info.run_id}: {error}") from None
    return state(session)


def _upload(station: IngestStation, upload_id: int) -> Upload:
    upload = Upload.objects.select_related("session").filter(
        pk=upload_id, kind=Upload.Kind.RUN, session__leggings__in=station_leggings(station)).first()
    if upload is None:
        raise SyncRefused(f"upload {upload_id}: not a run this station is syncing", status=404)
    return upload


def receive(station: IngestStation, upload_id: int, offset: int, data: bytes) -> dict:
    upload = _upload(station, upload_id)
    try:
        uploads.receive(upload, offset, data)
    except uploads.UploadRefused as error:
        raise SyncRefused(str(error)) from None
    return state(upload.session)


def finish(station: IngestStation, upload_id: int) -> dict:
    """Every part is in: check the file is the run offered, then analyse it in the background."""
    upload = _upload(station, upload_id)
    path = Path(upload.path)
    if upload.stage == Upload.Stage.RECEIVING:
        if path.stat().st_size != upload.size_bytes:
            raise SyncRefused(f"the run is not complete: {path.stat().st_size} of {upload.size_bytes} bytes")
        with open(path, "rb") as handle:
            try:
                info = runs.decode_file_header(handle.read(runs.FILE.size))
            except PacketError as error:
                raise SyncRefused(str(error)) from None
        if info.run_id != upload.session.device_run or runs.FILE.size + info.size_bytes != upload.size_bytes:
            raise SyncRefused("the file is not the run offered")
        uploads.queue_work(upload)
    return state(RunSession.objects.get(pk=upload.session_id))
