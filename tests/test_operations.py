"""Operator endpoints: /healthz, /readyz and /metrics (docs/operations.md) — who may read them,
what they say when something is down, and that the live path's figures move."""

import json
import re

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from tests.factories import make_station
from tests.ingest.test_ingest_consumer import _acks_until, _connect, _frame


def _value(text: str, name: str) -> float:
    match = re.search(rf"^{name} ([0-9.e+-]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_health_answers_plain_http_without_a_login(settings, client):
    settings.SECURE_SSL_REDIRECT = True  # production: every page redirects to https, but these
    assert client.get("/healthz").content == b"ok\n"
    assert client.get("/coach/").status_code == 301


@pytest.mark.django_db
def test_probes_answer_by_address_where_pages_refuse_the_host(settings):
    """The proxy's health check asks 127.0.0.1:8001, not the site's name."""
    settings.ALLOWED_HOSTS = ["stridesite.example"]
    by_address = Client(HTTP_HOST="127.0.0.1:8001", REMOTE_ADDR="127.0.0.1")
    assert by_address.get("/readyz").status_code == 200
    assert by_address.get("/healthz").status_code == 200
    assert by_address.get("/metrics").status_code == 200
    assert by_address.get("/coach/").status_code == 400


@pytest.mark.django_db
def test_ready_when_database_and_channel_layer_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "channel_layer": "ok"}


@pytest.mark.django_db
def test_not_ready_when_the_channel_layer_is_down_and_says_why(client, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}  # nothing listens
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["channel_layer"].startswith("failed:")


@pytest.mark.django_db
def test_metrics_only_for_loopback_or_the_token(settings):
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="203.0.113.7").get("/metrics").status_code == 404
    settings.METRICS_TOKEN = "s3cret-scrape"
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404  # a token: loopback too
    wrong = Client(REMOTE_ADDR="203.0.113.7", headers={"Authorization": "Bearer nope"})
    assert wrong.get("/metrics").status_code == 404
    right = Client(REMOTE_ADDR="203.0.113.7", headers={"Authorization": "Bearer s3cret-scrape"})
    text = right.get("/metrics").content.decode()
    for name in ("stridesite_samples_ingested_total", "stridesite_live_strides_total",
                 "stridesite_connected_stations", "stridesite_connected_boards", "stridesite_live_sessions",
                 "stridesite_agent_spool_backlog_frames", "stridesite_broadcast_delay_seconds_bucket",
                 "django_http_requests_total_by_method_total"):
        assert name in text, name


@pytest.mark.django_db(transaction=True)
async def test_the_live_path_moves_the_figures(world):
    station, token = await database_sync_to_async(make_station)(world.coach_a)
    scrape = Client(REMOTE_ADDR="127.0.0.1")
    before = (await database_sync_to_async(scrape.get)("/metrics")).content.decode()
    communicator, _, _ = await _connect(token)
    await communicator.receive_from()  # hello
    address = world.leggings_a.ble_address
    status = {"status": {address: "connected"}, "backlog": {address: 7}}
    await communicator.send_to(text_data=json.dumps(status))
    for seq in range(3):
        await communicator.send_to(bytes_data=_frame(address, seq, 100 + 20 * seq))
    await _acks_until(communicator, address, 2)
    during = (await database_sync_to_async(scrape.get)("/metrics")).content.decode()
    def moved(name: str) -> float:
        return _value(during, name) - _value(before, name)

    assert moved("stridesite_samples_ingested_total") == 60
    assert moved("stridesite_connected_stations") == 1
    assert _value(during, "stridesite_agent_spool_backlog_frames") == 7
    assert _value(during, "stridesite_live_sessions") == 1
    await communicator.disconnect()
    after = (await database_sync_to_async(scrape.get)("/metrics")).content.decode()
    assert _value(after, "stridesite_connected_stations") == _value(before, "stridesite_connected_stations")
    assert _value(after, "stridesite_agent_spool_backlog_frames") == 0


def test_the_worker_closes_idle_live_sessions_every_minute(world):
    """A session whose agent went away (killed, out of range) is closed by the worker on time,
    without waiting for an agent to connect again."""
    from datetime import timedelta

    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from ingest import tasks
    from ingest.services import IDLE_CLOSE_S
    from sessions.models import RunSession

    now = timezone.now()
    gone = RunSession.objects.create(runner=world.alice, started_at=now - timedelta(minutes=10),
                                     ended_at=now - timedelta(seconds=IDLE_CLOSE_S + 5), status="live")
    streaming = RunSession.objects.create(runner=world.arno, started_at=now - timedelta(minutes=5),
                                          ended_at=now - timedelta(seconds=2), status="live")
    assert "close_idle_sessions" in {task.name for task in HUEY._registry.periodic_tasks}
    tasks.close_idle_sessions.call_local()
    gone.refresh_from_db()
    streaming.refresh_from_db()
    assert gone.status == "done" and streaming.status == "live"
