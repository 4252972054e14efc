"""Uploads in the background: the request stores the file and returns, a worker reads it a
block at a time; progress is visible, a fault anywhere fails the session with its line and keeps
nothing of the file, gzip reads like plain, and every denial of SPEC §8 holds."""

import gzip
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from metrics.models import StrideRecord
from sessions.models import RawChunk, RunSession, Upload
from tests.factories import recording_csv


def _upload(client, body: bytes | None = None, name: str = "run.csv"):
    body = body or recording_csv().encode()
    return client.post(reverse("session_upload"), {"file": SimpleUploadedFile(name, body)})


@pytest.fixture
def queued():
    """Tasks go to the real queue (a SQLite file) instead of running inside the request."""
    HUEY.immediate = False
    HUEY.storage.flush_queue()
    yield HUEY
    HUEY.storage.flush_queue()
    HUEY.immediate = True


@pytest.mark.django_db(transaction=True)  # the worker closes connections left in a transaction
def test_the_request_stores_the_file_and_returns_before_reading_it(world, login, queued):
    client = login(world.alice.user)
    response = _upload(client)
    assert response.status_code == 302
    session = RunSession.objects.get(source="upload")
    upload = Upload.objects.get(session=session)
    assert session.status == "processing" and upload.stage == "queued" and Path(upload.path).exists()
    assert not RawChunk.objects.filter(session=session).exists()
    page = client.get(response.url).text
    assert 'id="upload-status"' in page and "Waiting to start" in page
    status = client.get(reverse("upload_status", args=[session.pk])).json()
    assert status == {"stage": "queued", "label": "Waiting to start", "progress": 0.0, "error": ""}
    assert queued.pending_count() == 1
    queued.execute(queued.dequeue())  # what `manage.py run_huey` does
    session.refresh_from_db()
    assert session.status == "done" and session.strides.count() > 20 and session.duration_s > 25
    assert client.get(reverse("upload_status", args=[session.pk])).json()["progress"] == 1.0
    assert not Path(upload.path).exists()  # the samples are stored; the file is not kept
    assert 'id="upload-status"' not in client.get(response.url).text


def test_a_fault_deep_in_a_large_file_fails_the_session_with_its_line_and_keeps_nothing(world, login):
    lines = recording_csv(60.0).splitlines()
    assert len("\n".join(lines[:3000])) > 256 * 1024  # beyond what the request reads itself
    lines[4999] = lines[4999].replace(",", ",oops", 1)
    client = login(world.alice.user)
    response = _upload(client, ("\n".join(lines) + "\n").encode())
    session = RunSession.objects.get(source="upload")
    assert session.status == "failed"
    assert "line 5000: not a number in column 2" in Upload.objects.get(session=session).error
    assert not RawChunk.objects.filter(session=session).exists()
    assert not StrideRecord.objects.filter(session=session).exists()
    page = client.get(response.url).text
    assert "line 5000" in page and "Nothing of the file was kept" in page
    assert "(failed)" in client.get(reverse("runner_home")).text


def test_a_gzip_file_gives_the_same_session_as_the_plain_one(world, login):
    client = login(world.alice.user)
    text = recording_csv()
    for name, body in (("run.csv", text.encode()), ("run.csv.gz", gzip.compress(text.encode()))):
        _upload(client, body, name)
    plain, packed = (list(s.strides.order_by("leg", "t_start").values_list("leg", "t_start", "kickback_deg"))
                     for s in RunSession.objects.filter(source="upload").order_by("pk"))
    assert plain == packed and len(plain) > 20


def test_a_corrupt_gzip_file_is_refused_at_once(world, login):
    response = _upload(login(world.alice.user), b"\x1f\x8bnot really", "run.csv.gz")
    assert response.status_code == 400 and "gzip" in response.text
    assert not RunSession.objects.filter(source="upload").exists() and not Upload.objects.exists()


def test_only_who_may_see_the_session_sees_its_upload(world, login, queued):
    _upload(login(world.alice.user))
    url = reverse("upload_status", args=[RunSession.objects.get(source="upload").pk])
    assert Client().get(url).status_code == 302  # anonymous: to the login page
    assert login(world.arno.user).get(url).status_code == 404  # another runner
    assert login(world.coach_b).get(url).status_code == 404  # a coach not of her squads
    assert login(world.coach_a).get(url).status_code == 200  # her coach


@pytest.mark.django_db(transaction=True)  # the worker closes connections left in a transaction
def test_a_session_deleted_before_its_file_was_read_takes_the_file_along(world, login, queued):
    client = login(world.alice.user)
    _upload(client)
    session = RunSession.objects.get(source="upload")
    path = Path(Upload.objects.get(session=session).path)
    client.post(reverse("session_delete", args=[session.pk]))
    assert not path.exists()
    queued.execute(queued.dequeue())  # the worker finds nothing to do, and says nothing
    assert not RunSession.objects.filter(pk=session.pk).exists()


def _start(client, body: bytes, name: str = "run.csv"):
    return client.post(reverse("upload_start"), {"name": name, "size": len(body), "notes": "parts"})


def _part(client, started: dict, offset: int, data: bytes):
    url = f"{started['part_url']}?offset={offset}"
    return client.post(url, data, content_type="application/octet-stream")


def test_a_file_sent_in_parts_becomes_a_session(world, login):
    """What upload.js does: parts of at most PART_BYTES, one sent twice (its answer was lost)."""
    from sessions import uploads

    body = recording_csv().encode()
    client = login(world.alice.user)
    started = _start(client, body).json()
    assert started["part_bytes"] == uploads.PART_BYTES
    size = 64 * 1024
    for offset in range(0, len(body), size):
        part = body[offset: offset + size]
        for _ in range(2 if offset == size else 1):
            reply = _part(client, started, offset, part)
            assert reply.json() == {"received": min(offset + size, len(body))}
    finished = client.post(started["finish_url"]).json()
    session = RunSession.objects.get(source="upload")
    assert finished == {"url": reverse("session_detail", args=[session.pk])}
    assert session.status == "done" and session.strides.count() > 20 and session.notes == "parts"


def test_parts_are_refused_out_of_order_too_large_or_incomplete(world, login):
    from sessions import uploads

    body = recording_csv().encode()
    client = login(world.alice.user)
    started = _start(client, body).json()
    ahead = _part(client, started, 100, body[100:200])
    assert ahead.status_code == 409 and "offset 0" in ahead.json()["error"]
    huge = _part(client, started, 0, b"x" * (uploads.PART_BYTES + 1))
    assert huge.status_code == 409
    _part(client, started, 0, body[:1000])
    early = client.post(started["finish_url"])
    assert early.status_code == 400 and "not complete" in early.json()["error"]
    assert _start(client, b"", "empty.csv").status_code == 400
    too_big = client.post(reverse("upload_start"), {"name": "x", "size": str(uploads.MAX_BYTES + 1)})
    assert too_big.status_code == 400


@pytest.mark.django_db(transaction=True)  # the threads use connections of their own
def test_a_part_sent_again_while_the_first_is_still_being_written_is_taken_once(world):
    """upload.js resends a part whose answer was lost; on a flaky link the resend can come while
    the server still writes the first. Both answer the bytes held, the file holds the part once."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from sessions import uploads

    part = b"x" * uploads.PART_BYTES

    def send(upload: Upload) -> int:
        try:
            return uploads.receive(upload, 0, part)
        finally:
            connection.close()

    for _ in range(20):
        upload = uploads.begin(world.alice, "run.csv", 2 * len(part))
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(send, [upload] * 6))
        assert answers == [len(part)] * 6
        assert Path(upload.path).stat().st_size == len(part)
        upload.session.delete()


def test_a_bad_file_sent_in_parts_is_refused_at_the_end_with_its_line(world, login):
    body = b"t,foo\n0,1\n"
    client = login(world.alice.user)
    started = _start(client, body).json()
    _part(client, started, 0, body)
    refused = client.post(started["finish_url"])
    assert refused.status_code == 400 and "line 1: missing columns" in refused.json()["error"]
    assert not RunSession.objects.filter(source="upload").exists() and not Upload.objects.exists()


def test_only_the_runner_who_started_an_upload_sends_its_parts(world, login):
    body = recording_csv().encode()
    started = _start(login(world.alice.user), body).json()
    assert _part(Client(), started, 0, body[:10]).status_code == 302  # anonymous
    for intruder in (world.arno.user, world.coach_a, world.coach_b):
        client = login(intruder)
        assert _part(client, started, 0, body[:10]).status_code == 404
        assert client.post(started["finish_url"]).status_code == 404
    assert login(world.coach_a).post(reverse("upload_start"), {"name": "x", "size": "10"}).status_code == 403
    assert Path(Upload.objects.get().path).stat().st_size == 0


def test_a_form_posted_whole_is_capped_the_parts_are_not(world, login):
    """Without script the file comes in one request, whose body daphne holds in memory: capped."""
    from sessions import uploads

    big = SimpleUploadedFile("big.csv", b"t" * (uploads.WHOLE_MAX_BYTES + 1))
    refused = login(world.alice.user).post(reverse("session_upload"), {"file": big})
    assert refused.status_code == 400 and "compress" in refused.text
    assert _start(login(world.alice.user), b"t" * (uploads.WHOLE_MAX_BYTES + 1)).status_code == 200


def _send(client, body: bytes, name: str = "run.csv", **extra) -> RunSession:
    started = client.post(reverse("upload_start"), {"name": name, "size": len(body), **extra}).json()
    _part(client, started, 0, body)
    return RunSession.objects.get(pk=_session_of(client.post(started["finish_url"]).json()["url"]))


def _session_of(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[-1])


def test_the_same_file_twice_asks_before_it_is_stored_again(world, login):
    body = recording_csv().encode()
    client = login(world.alice.user)
    _send(client, body)
    again = client.post(reverse("upload_start"), {"name": "run.csv", "size": len(body)})
    assert again.status_code == 409 and "Store it a second time?" in again.json()["duplicate"]
    assert RunSession.objects.filter(source="upload").count() == 1
    assert _send(client, body, again="1").status == "done"
    other = login(world.arno.user)  # another runner's file of that name is no duplicate of hers
    assert other.post(reverse("upload_start"), {"name": "run.csv", "size": len(body)}).status_code == 200


def test_a_strides_export_is_refused_with_what_to_upload_instead(world, login, uploaded):
    strides = login(world.alice.user).get(reverse("export_strides", args=[uploaded.pk])).content
    response = _upload(login(world.alice.user), strides, name="strides.csv")
    assert response.status_code == 400
    assert "this is a strides export" in response.text and "Raw CSV" in response.text


def test_a_file_in_clock_time_keeps_the_date_it_was_recorded_on(world, login):
    lines = recording_csv().splitlines()
    recorded = 1_764_000_000.0  # 2025-11-24 16:00 UTC
    rows = [row.split(",", 1) for row in lines[1:]]
    shifted = [lines[0]] + [f"{float(t) + recorded!r},{rest}" for t, rest in rows]
    session = _send(login(world.alice.user), ("\n".join(shifted) + "\n").encode())
    assert session.status == "done" and session.strides.count() > 20
    assert session.started_at.isoformat().startswith("2025-11-24T16:00")


def test_exports_are_named_after_the_runner_and_the_day(world, login, uploaded):
    client = login(world.alice.user)
    day = uploaded.started_at.date().isoformat()
    kinds = (("export_strides", "strides.csv"), ("export_raw", "raw.csv"), ("export_fit", "run.fit"))
    for view, kind in kinds:
        response = client.get(reverse(view, args=[uploaded.pk]))
        assert response["Content-Disposition"] == f'attachment; filename="alice-{day}-{kind}"'


def test_a_runner_sends_two_files_at_once_at_most_and_a_given_up_one_is_removed(world, login):
    """A hostile runner cannot pile up half-sent files on the server's disk: two at a time, and a
    file that got no part for half an hour is gone with its session (the page was closed)."""
    import os
    import time

    from sessions import uploads

    body = recording_csv().encode()
    client = login(world.alice.user)
    first, second = (_start(client, body, name).json() for name in ("a.csv", "b.csv"))
    third = _start(client, body, "c.csv")
    assert third.status_code == 400 and "2 of your files are still being sent" in third.json()["error"]
    given_up = Upload.objects.get(name="a.csv")
    stale = time.time() - uploads.ABANDONED_S["csv"] - 60
    os.utime(given_up.path, (stale, stale))
    assert _start(client, body, "c.csv").status_code == 200
    assert not Upload.objects.filter(name="a.csv").exists() and not Path(given_up.path).exists()
    assert not RunSession.objects.filter(pk=given_up.session_id).exists()
    assert _part(client, first, 0, body[:10]).status_code == 404  # its parts now go nowhere
    assert _part(client, second, 0, body[:10]).status_code == 200
    assert _start(login(world.arno.user), body).status_code == 200  # another runner is not held up


def test_abandoned_uploads_are_removed_every_ten_minutes_and_a_synced_run_is_kept_a_day(world, login):
    import os
    import time

    from sessions import tasks, uploads

    assert "remove_abandoned_uploads" in {task.name for task in HUEY._registry.periodic_tasks}
    body = recording_csv().encode()
    _start(login(world.alice.user), body, "csv.csv")
    run = uploads.begin(world.arno, "SS-1 run 3", 1000, kind=Upload.Kind.RUN)
    stale = time.time() - uploads.ABANDONED_S["csv"] - 60
    for upload in Upload.objects.all():
        os.utime(upload.path, (stale, stale))
    tasks.remove_abandoned_uploads.call_local()
    assert list(Upload.objects.values_list("pk", flat=True)) == [run.pk]


def test_a_runner_stores_at_most_a_days_recording_from_files_in_24_hours(world, login, monkeypatch):
    from sessions import uploads

    body = recording_csv().encode()  # 28 s at 200 Hz: 5,600 samples
    monkeypatch.setattr(uploads, "DAILY_SAMPLES", 8000)
    client = login(world.alice.user)
    assert _send(client, body, "monday.csv").status == "done"
    refused = _send(client, body, "monday-again.csv")
    assert refused.status == "failed" and "send it tomorrow" in refused.upload.error
    assert not RawChunk.objects.filter(session=refused).exists() and not refused.strides.exists()
    assert _send(login(world.arno.user), body).status == "done"  # her limit is hers alone
