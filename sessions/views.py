"""Run session pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from audit.models import AuditEvent
from audit.services import audit_record
from metrics.core import RecordingError
from sessions import services, uploads
from sessions.forms import UploadForm
from sessions.models import RunSession, Upload
from sessions.summary import chart_data, session_medians, summarize
from stridesite.permissions import (
    coached_runners,
    coached_squads,
    deletable_sessions,
    visible_runners,
    visible_sessions,
)

SYMMETRY_FLAG_PCT = 5.0  # flag a runner whose last session's kickback differs L/R by more than this


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(
        visible_sessions(request.user).select_related("runner", "leggings"), pk=session_id
    )
    can_delete = deletable_sessions(request.user).filter(pk=session.pk).exists()
    return render(request, "sessions/session_detail.html",
                  {"session": session, "can_delete": can_delete, "summary": summarize(session),
                   "upload": Upload.objects.filter(session=session).first()})


UPLOADED = "Uploaded. It is analysed in the background: this page follows it."


def _uploader(request: HttpRequest):
    """The signed-in runner: only runners upload their recordings."""
    runner = getattr(request.user, "runner", None)
    if runner is None:
        raise PermissionDenied("Only runners upload their recordings.")
    return runner


@login_required
@require_POST
def upload_start(request: HttpRequest) -> JsonResponse:
    """A file about to be sent in parts (upload.js): its session, and where the parts go."""
    runner = _uploader(request)
    name = request.POST.get("name", "")
    try:
        size = int(request.POST.get("size", "0"))
        earlier = uploads.same_file(runner, name, size)
        if earlier is not None and request.POST.get("again") != "1":
            return JsonResponse({"duplicate": f"You uploaded “{name}” ({size:,} bytes) on "
                                              f"{earlier:%Y-%m-%d}. Store it a second time?"}, status=409)
        upload = uploads.begin(runner, name, size, request.POST.get("notes", ""))
    except (ValueError, uploads.UploadRefused) as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"part_bytes": uploads.PART_BYTES,
                         "part_url": reverse("upload_part", args=[upload.pk]),
                         "finish_url": reverse("upload_finish", args=[upload.pk])})


def _own_upload(request: HttpRequest, upload_id: int) -> Upload:
    return get_object_or_404(Upload.objects.select_related("session"), pk=upload_id,
                             session__runner__user=request.user)


@login_required
@require_POST
def upload_part(request: HttpRequest, upload_id: int) -> JsonResponse:
    """One part of the file, its bytes as the request body, at `?offset=`."""
    upload = _own_upload(request, upload_id)
    try:
        held = uploads.receive(upload, int(request.GET.get("offset", "-1")), request.body)
    except (ValueError, uploads.UploadRefused) as error:
        return JsonResponse({"error": str(error)}, status=409)
    return JsonResponse({"received": held})


@login_required
@require_POST
def upload_finish(request: HttpRequest, upload_id: int) -> JsonResponse:
    """Every part is in: the start of the file is checked and the work queued, or the file refused."""
    upload = _own_upload(request, upload_id)
    try:
        uploads.finish(upload)
    except (RecordingError, uploads.UploadRefused) as error:
        return JsonResponse({"error": str(error)}, status=400)
    messages.success(request, UPLOADED)
    return JsonResponse({"url": reverse("session_detail", args=[upload.session_id])})


@login_required
def upload_status(request: HttpRequest, session_id: int) -> JsonResponse:
    """Where an uploaded file's background analysis stands (the session page polls it)."""
    session = get_object_or_404(visible_sessions(request.user), pk=session_id)
    upload = get_object_or_404(Upload, session=session)
    return JsonResponse({"stage": upload.stage, "label": upload.get_stage_display(),
                         "progress": round(upload.progress, 3), "error": upload.error})


@login_required
@require_POST
def session_delete(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(deletable_sessions(request.user), pk=session_id)
    audit_record(AuditEvent.Kind.SESSION_DELETED, request=request, squad=session.runner.squads.first(),
                 target=f"{session.runner.display_name}'s session of {session.started_at:%Y-%m-%d %H:%M}")
    session.delete()
    messages.success(request, "Session deleted.")
    return redirect("runner_home")


@login_required
def live_squad(request: HttpRequest, squad_id: int) -> HttpResponse:
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    return render(request, "sessions/live_squad.html", {"squad": squad})


@login_required
def live_runner(request: HttpRequest, runner_id: int) -> HttpResponse:
    runner = get_object_or_404(visible_runners(request.user), pk=runner_id)
    coaches = coached_runners(request.user).filter(pk=runner.pk).exists()
    return render(request, "sessions/live_runner.html", {"runner": runner, "may_edit_zones": coaches})


@login_required
def session_charts(request: HttpRequest, session_id: int) -> JsonResponse:
    session = get_object_or_404(visible_sessions(request.user), pk=session_id)
    return JsonResponse(chart_data(session))


@login_required
def stride_trace(request: HttpRequest, session_id: int, stride_id: int) -> JsonResponse:
    session = get_object_or_404(visible_sessions(request.user), pk=session_id)
    stride = get_object_or_404(session.strides, pk=stride_id)
    return JsonResponse({"leg": stride.leg, "t_start": stride.t_start, "t_end": stride.t_end,
                         "trace": stride.trace, "kickback_deg": stride.kickback_deg,
                         "knee_elevation_deg": stride.knee_elevation_deg, "quality": stride.quality})


def _attachment(response: HttpResponse | StreamingHttpResponse, session: RunSession, kind: str):
    """Named after the runner and the day: `ava-okafor-2026-12-03-strides.csv`."""
    day = timezone.localtime(session.started_at).date().isoformat()
    name = f"{slugify(session.runner.display_name) or 'runner'}-{day}-{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def export_strides(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(visible_sessions(request.user), pk=session_id)
    return _attachment(HttpResponse(services.strides_csv(session), content_type="text/csv"),
                       session, "strides.csv")


@login_required
def export_fit(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session as a FIT activity, for Garmin Connect, Strava, GoldenCheetah, Runalyze."""
    session = get_object_or_404(visible_sessions(request.user), pk=session_id)
    return _attachment(HttpResponse(services.session_fit(session), content_type="application/vnd.ant.fit"),
                       session, "run.fit")


@login_required
def export_raw(request: HttpRequest, session_id: int) -> StreamingHttpResponse:
    """SPEC §4 CSV, streamed: a 2-hour session is ~1.4 million rows."""
    session = get_object_or_404(visible_sessions(request.user), pk=session_id)
    return _attachment(StreamingHttpResponse(services.raw_csv_lines(session), content_type="text/csv"),
                       session, "raw.csv")


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    runner = _uploader(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        session = uploads.accept(runner, form.cleaned_data["file"], form.cleaned_data["notes"])
        messages.success(request, UPLOADED)
        return redirect("session_detail", session_id=session.pk)
    return render(request, "sessions/upload.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def session_notes(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(deletable_sessions(request.user), pk=session_id)
    session.notes = request.POST.get("notes", "")[:5000]
    session.save(update_fields=["notes"])
    return redirect("session_detail", session_id=session.pk)


@login_required
def runner_trends(request: HttpRequest, runner_id: int) -> HttpResponse:
    runner = get_object_or_404(visible_runners(request.user), pk=runner_id)
    return render(request, "sessions/trends.html",
                  {"runners": [{"name": runner.display_name, "sessions": session_medians(runner)}],
                   "title": f"Trends · {runner.display_name}"})


@login_required
def squad_overview(request: HttpRequest, squad_id: int) -> HttpResponse:
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    rows = []
    for runner in squad.members.order_by("display_name"):
        sessions = session_medians(runner, limit=10)
        last = sessions[0] if sessions else {}
        size = abs(last["symmetry"]) if last.get("symmetry") is not None else None
        rows.append({"runner": runner, "sessions": len(sessions), "last": last, "symmetry_size": size,
                     "flag": size is not None and size > SYMMETRY_FLAG_PCT})
    return render(request, "sessions/squad_overview.html", {"squad": squad, "rows": rows})


@login_required
def squad_compare(request: HttpRequest, squad_id: int) -> HttpResponse:
    squad = get_object_or_404(coached_squads(request.user), pk=squad_id)
    chosen = [int(x) for x in request.GET.getlist("runner") if x.isdigit()]
    runners = squad.members.filter(pk__in=chosen).order_by("display_name") if chosen else squad.members.none()
    return render(request, "sessions/trends.html", {
        "title": f"Compare · {squad.name}", "squad": squad, "members": squad.members.order_by("display_name"),
        "chosen": chosen,
        "runners": [{"name": r.display_name, "sessions": session_medians(r)} for r in runners],
    })
