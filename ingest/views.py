"""HTTP for agents, by station token (SPEC §8): the station's leggings, and runs synced from
their flash (ingest/synced.py). No cookies, so no CSRF; every call checks the token."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ingest import services, synced
from ingest.auth import bearer
from ingest.models import IngestStation
from ingest.protocol.runs import RunInfo

RUN_FIELDS = [field.name for field in fields(RunInfo)]


def _by_station(view: Callable) -> Callable:
    """The view gets the request's station; no valid token: 401. A refusal: 400 or 404 with why."""

    @csrf_exempt
    def wrapped(request: HttpRequest, *args, **kwargs) -> JsonResponse:
        station = IngestStation.objects.for_token(bearer(request.headers.get("Authorization", "")))
        if station is None:
            return JsonResponse({"error": "a valid station token is required"}, status=401)
        try:
            return JsonResponse(view(request, station, *args, **kwargs))
        except synced.SyncRefused as error:
            return JsonResponse({"error": str(error)}, status=error.status)
        except (ValueError, KeyError, TypeError) as error:
            return JsonResponse({"error": f"malformed request: {error}"[:300]}, status=400)

    return wrapped


@require_http_methods(["GET"])
@_by_station
def station(request: HttpRequest, station: IngestStation) -> dict:
    """The station's leggings, as the websocket's hello says them."""
    return services.station_config(station)


@require_http_methods(["POST"])
@_by_station
def run_offer(request: HttpRequest, station: IngestStation) -> dict:
    """`{"serial": …, "run_id": …, …}` (RunInfo's fields): the run's state on the server."""
    body = json.loads(request.body)
    values = [body[name] for name in RUN_FIELDS]
    if not all(type(value) is int and 0 <= value < 2**32 for value in values):
        raise ValueError("run fields must be unsigned 32-bit integers")
    return synced.offer(station, str(body["serial"]), RunInfo(*values))


@require_http_methods(["PUT"])
@_by_station
def run_part(request: HttpRequest, station: IngestStation, upload_id: int) -> dict:
    """One part of the run file at `?offset=N` (at most 2 MB)."""
    return synced.receive(station, upload_id, int(request.GET["offset"]), request.body)


@require_http_methods(["POST"])
@_by_station
def run_finish(request: HttpRequest, station: IngestStation, upload_id: int) -> dict:
    return synced.finish(station, upload_id)
