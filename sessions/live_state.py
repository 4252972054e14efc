"""Backfill for live pages: where each runner is now, read from the database.

Any server process can answer it (the strides are stored before they are broadcast),
so a tablet that reconnects to another process after a Wi-Fi drop catches up the same.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from athletes.models import RunnerProfile, Squad
from ingest.services import OFFLINE_AFTER_S
from metrics.models import zone_table_for
from sessions.broadcast import stride_event
from sessions.models import RunSession

BACKFILL_S = 60.0
STREAMING_WITHIN_S = 5.0


def runner_snapshot(runner: RunnerProfile, coaches: frozenset[int] = frozenset()) -> dict:
    """Name, zones per band, status, how long ago samples last came, the station they come
    through (named only when its own coach is among the board's squad's `coaches`), and the last
    minute of strides of one runner."""
    session = (RunSession.objects.filter(runner=runner, status=RunSession.Status.LIVE)
               .select_related("station").order_by("-started_at").first())
    status, strides, age, station = "idle", [], None, None
    if session is not None:
        now = timezone.now()
        if session.ended_at is not None:
            age = round((now - session.ended_at).total_seconds(), 1)
        status = "streaming" if age is not None and age <= STREAMING_WITHIN_S else "no data"
        if session.station is not None:
            seen = session.station.last_seen
            if seen is None or seen < now - timedelta(seconds=OFFLINE_AFTER_S):
                status = "station offline"
            named = session.station.coach_id in coaches
            station = {"id": session.station_id, "name": session.station.name if named else None}
        last = session.strides.order_by("-t_end").values_list("t_end", flat=True).first()
        if last is not None:
            strides = [stride_event(s, session.pk)
                       for s in session.strides.filter(t_end__gt=last - BACKFILL_S).order_by("t_end")]
    return {
        "runner": runner.pk, "name": runner.display_name, "status": status,
        "age_s": age,  # seconds since the runner's live session last received samples
        "station": station,
        "zones": zone_table_for(runner).as_json(),
        "strides": strides,
    }


def squad_snapshot(squad: Squad) -> list[dict]:
    coaches = frozenset(squad.coaches.values_list("pk", flat=True))
    return [runner_snapshot(runner, coaches) for runner in squad.members.order_by("display_name")]
