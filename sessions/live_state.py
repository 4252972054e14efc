"""Backfill for live pages: where each runner is now, read from the database.

Any server process can answer it (the strides are stored before they are broadcast),
so a tablet that reconnects to another process after a Wi-Fi drop catches up the same.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from athletes.models import RunnerProfile
from metrics.models import zone_table_for
from sessions.broadcast import stride_event
from sessions.models import RunSession

BACKFILL_S = 60.0
STREAMING_WITHIN_S = 5.0


def runner_snapshot(runner: RunnerProfile) -> dict:
    """Name, zones per band, status, how long ago samples last came, and the last minute of
    strides of one runner."""
    session = RunSession.objects.filter(runner=runner, status=RunSession.Status.LIVE).order_by(
        "-started_at").first()
    status, strides, age = "idle", [], None
    if session is not None:
        cutoff = timezone.now() - timedelta(seconds=STREAMING_WITHIN_S)
        if session.ended_at is not None:
            age = round((timezone.now() - session.ended_at).total_seconds(), 1)
        recent = session.ended_at is not None and session.ended_at > cutoff
        status = "streaming" if recent else "no data"
        last = session.strides.order_by("-t_end").values_list("t_end", flat=True).first()
        if last is not None:
            strides = [stride_event(s, session.pk)
                       for s in session.strides.filter(t_end__gt=last - BACKFILL_S).order_by("t_end")]
    return {
        "runner": runner.pk, "name": runner.display_name, "status": status,
        "age_s": age,  # seconds since the runner's live session last received samples
        "zones": zone_table_for(runner).as_json(),
        "strides": strides,
    }


def squad_snapshot(runners) -> list[dict]:
    return [runner_snapshot(runner) for runner in runners]
