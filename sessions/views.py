"""Run session pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from stridesite.permissions import coached_squads, deletable_sessions, visible_runners, visible_sessions


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(
        visible_sessions(request.user).select_related("runner", "leggings"), pk=session_id
    )
    can_delete = deletable_sessions(request.user).filter(pk=session.pk).exists()
    return render(
        request, "sessions/session_detail.html", {"session": session, "can_delete": can_delete}
    )


@login_required
@require_POST
def session_delete(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(deletable_sessions(request.user), pk=session_id)
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
    return render(request, "sessions/live_runner.html", {"runner": runner})
