"""Operator endpoints (docs/operations.md): liveness, readiness, and Prometheus metrics.

Metrics are per process (each daphne process answers for itself: scrape each one, not the
proxy): django-prometheus's request counts and latencies, and StrideSite's own below.
`/metrics` answers a `Bearer METRICS_TOKEN`, or, without a token configured, only loopback.

`ProbeMiddleware`, first in the chain, answers the three before Django checks the host name or
redirects to https: probes (the proxy's health check, systemd, a scraper) ask a process by its
address (127.0.0.1:8001), not by the site's name.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

SAMPLES = Counter("stridesite_samples_ingested", "IMU sample instants taken from leggings by this process")
STRIDES = Counter("stridesite_live_strides", "Strides this process computed on the live path")
STATIONS = Gauge("stridesite_connected_stations", "Ingest sockets (agents) open on this process")
BOARDS = Gauge("stridesite_connected_boards", "Live-page sockets (boards, close-ups) open on this process")
BROADCAST = Histogram("stridesite_broadcast_delay_seconds",
                      "From a frame's arrival to the events it completed leaving for the boards",
                      buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0))
_backlogs: dict[str, int] = {}  # ingest socket → frames its agent holds unacknowledged, as last reported


def report_backlog(socket: str, frames: int | None) -> None:
    """An agent's spool backlog (None: the socket closed)."""
    if frames is None:
        _backlogs.pop(socket, None)
    else:
        _backlogs[socket] = frames


class _Collector:
    """Values read when scraped: live sessions (from the database, all processes) and backlog."""

    def describe(self):  # what it yields, without reading the database (called at registration)
        return [self._live(), self._backlog()]

    def collect(self):
        from sessions.models import RunSession

        live, backlog = self._live(), self._backlog()
        live.add_metric([], RunSession.objects.filter(status=RunSession.Status.LIVE).count())
        backlog.add_metric([], sum(_backlogs.values()))
        return [live, backlog]

    @staticmethod
    def _live() -> GaugeMetricFamily:
        return GaugeMetricFamily("stridesite_live_sessions", "Sessions streaming now (all processes)")

    @staticmethod
    def _backlog() -> GaugeMetricFamily:
        return GaugeMetricFamily("stridesite_agent_spool_backlog_frames",
                                 "Frames the agents connected to this process still hold unacknowledged")


REGISTRY.register(_Collector())


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers."""
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers a query and the channel layer carries a message."""
    checks = {"database": _check(_database), "channel_layer": _check(_channel_layer)}
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if ready else 503)


def _check(probe) -> str:
    try:
        probe()
    except Exception as error:  # any failure is "not ready", with its reason
        return f"failed: {type(error).__name__}: {error}"[:300]
    return "ok"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _channel_layer() -> None:
    layer = get_channel_layer()

    async def round_trip() -> None:
        channel = await layer.new_channel(f"readyz.{uuid.uuid4().hex[:8]}.")
        await layer.send(channel, {"type": "readyz"})
        await asyncio.wait_for(layer.receive(channel), 2.0)

    async_to_sync(round_trip)()


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        allowed = hmac.compare_digest(given.encode(), token.encode())
    else:
        allowed = request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1")
    if not allowed:
        return HttpResponseNotFound()  # says nothing of what is here
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


PROBES = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


class ProbeMiddleware:
    """Answer the operator endpoints before any host check or https redirect."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        return probe(request) if probe is not None else self.get_response(request)
