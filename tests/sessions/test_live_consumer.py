"""Browser websocket: session auth, origin check, SPEC §8 on every subscription."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from athletes import services
from sessions.broadcast import encode_events, tick_message
from sessions.groups import runner_group, squad_group
from stridesite.asgi import application
from tests.busy_thread import occupy_the_database_thread

pytestmark = pytest.mark.django_db(transaction=True)


async def _connect(user=None, origin=b"http://127.0.0.1:8000", host=b"127.0.0.1:8000"):
    headers = [(b"origin", origin), (b"host", host)]
    if user is not None:
        client = Client()
        await database_sync_to_async(client.force_login)(user)
        cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_anonymous_socket_is_closed(world):
    communicator, connected = await _connect()
    assert not connected


@pytest.mark.parametrize("origin,host", [
    (b"http://evil.example", b"127.0.0.1:8000"),  # another site
    (b"http://127.0.0.1:9999", b"127.0.0.1:8000"),  # another port of the same host
    (b"https://127.0.0.1:8000", b"127.0.0.1:8000"),  # another scheme
    (b"null", b"127.0.0.1:8000"),  # a sandboxed frame or a file
    (b"http://evil.example", b"evil.example"),  # a host not in ALLOWED_HOSTS
])
async def test_a_foreign_origin_is_refused(world, origin, host):
    communicator, connected = await _connect(world.coach_a, origin=origin, host=host)
    assert not connected


async def test_a_trusted_origin_behind_a_proxy_is_accepted(world, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://track.example"]
    communicator, connected = await _connect(world.coach_a, origin=b"https://track.example",
                                             host=b"127.0.0.1:8000")
    assert connected
    await communicator.disconnect()


async def test_coach_subscribes_to_own_squad_and_receives_events(world):
    communicator, connected = await _connect(world.coach_a)
    assert connected
    await communicator.send_json_to({"subscribe": "squad", "id": world.squad_a.pk})
    assert await communicator.receive_json_from() == {"type": "subscribed", "squad": world.squad_a.pk}
    backfill = await communicator.receive_json_from()
    assert backfill["type"] == "backfill"
    assert [r["name"] for r in backfill["runners"]] == ["Alice", "Arno"]
    events = [{"kind": "stride", "runner": world.alice.pk, "seq": 1, "stride": {"kickback_deg": 101.5}}]
    await get_channel_layer().group_send(squad_group(world.squad_a.pk),
                                         tick_message(encode_events(events)))
    assert await communicator.receive_json_from() == {"type": "tick", "events": events}
    await communicator.disconnect()


async def test_coach_cannot_subscribe_to_another_coachs_squad_or_runner(world):
    communicator, _ = await _connect(world.coach_a)
    for kind, object_id in (("squad", world.squad_b.pk), ("runner", world.bea.pk)):
        await communicator.send_json_to({"subscribe": kind, "id": object_id})
        reply = await communicator.receive_json_from()
        assert reply["type"] == "error"
    await get_channel_layer().group_send(
        squad_group(world.squad_b.pk), tick_message(encode_events([{"kind": "status"}]))
    )
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_runner_watches_only_themselves(world):
    communicator, _ = await _connect(world.alice.user)
    await communicator.send_json_to({"subscribe": "runner", "id": world.alice.pk})
    assert (await communicator.receive_json_from())["type"] == "subscribed"
    assert (await communicator.receive_json_from())["type"] == "backfill"
    for kind, object_id in (("runner", world.arno.pk), ("squad", world.squad_a.pk)):
        await communicator.send_json_to({"subscribe": kind, "id": object_id})
        assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.disconnect()


async def test_malformed_messages_get_an_error_and_the_socket_stays_open(world):
    communicator, _ = await _connect(world.coach_a)
    await communicator.send_json_to({"subscribe": "galaxy", "id": "x"})
    assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.send_json_to({"subscribe": "squad", "id": world.squad_a.pk})
    assert (await communicator.receive_json_from())["type"] == "subscribed"
    await communicator.send_json_to(["not", "an", "object"])
    assert (await communicator.receive_json_from())["type"] in ("backfill", "error")
    await communicator.disconnect()


async def test_a_coach_watching_a_removed_runner_is_unsubscribed(world):
    communicator, _ = await _connect(world.coach_a)
    await communicator.send_json_to({"subscribe": "runner", "id": world.arno.pk})
    await communicator.receive_json_from()
    await communicator.receive_json_from()  # backfill
    await database_sync_to_async(services.membership_remove)(squad=world.squad_a, runner=world.arno)
    reply = await communicator.receive_json_from()
    assert reply == {"type": "unsubscribed", "runner": world.arno.pk, "reason": "access revoked"}
    await get_channel_layer().group_send(
        runner_group(world.arno.pk), tick_message(encode_events([{"kind": "status"}]))
    )
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_backfill_has_the_live_sessions_last_minute_and_ticks_follow(world):
    from django.utils import timezone

    from metrics.models import StrideRecord
    from sessions.broadcast import Broadcaster
    from sessions.models import RunSession

    def live_session():
        session = RunSession.objects.create(runner=world.alice, started_at=timezone.now(),
                                            ended_at=timezone.now(), status="live")
        for i in range(100):  # 100 strides, 0.7 s apart: only the last minute is backfilled
            StrideRecord.objects.create(
                session=session, leg="left", t_start=0.7 * i, t_toe_off=0.7 * i + 0.2, t_end=0.7 * (i + 1),
                kickback_deg=110, shank_back_deg=85, heel_rise_cm=40, knee_elevation_deg=38, knee_rise_cm=9,
                cadence_spm=171, contact_ms=210, speed_mps=3.5, pace_band="steady", kickback_zone="in",
                knee_elevation_zone="in", trace={"thigh": [1.0, 2.0], "shank": [-1.0, -2.0]})
        return session

    session = await database_sync_to_async(live_session)()
    communicator, _ = await _connect(world.coach_a)
    await communicator.send_json_to({"subscribe": "squad", "id": world.squad_a.pk})
    await communicator.receive_json_from()
    alice = (await communicator.receive_json_from())["runners"][0]
    assert alice["status"] == "streaming" and alice["zones"]["steady"]["kickback"] == [95.0, 118.0]
    ends = [s["t_end"] for s in alice["strides"]]
    assert 80 <= len(ends) <= 87 and ends == sorted(ends) and ends[-1] == pytest.approx(70.0)
    assert alice["strides"][0]["trace"] == {"thigh": [1.0, 2.0], "shank": [-1.0, -2.0]}

    live = Broadcaster()
    live.status(world.alice.pk, [world.squad_a.pk], "leggings disconnected")
    assert await live.flush() == 1
    tick = await communicator.receive_json_from()
    assert tick == {"type": "tick", "events": [{"kind": "status", "status": "leggings disconnected",
                                                "runner": world.alice.pk}]}
    await communicator.send_json_to({"backfill": "squad", "id": world.squad_a.pk})
    assert (await communicator.receive_json_from())["type"] == "backfill"
    assert session.pk == alice["strides"][0]["session"]
    await communicator.disconnect()


async def test_backfill_is_refused_without_a_subscription(world):
    communicator, _ = await _connect(world.coach_a)
    await communicator.send_json_to({"backfill": "squad", "id": world.squad_b.pk})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


@pytest.mark.parametrize("message", [
    "not json at all", '{"subscribe": "squad", "id": true}', '{"subscribe": "squad", "id": 1e400}',
    '{"subscribe": "runner", "id": 99999999999999999999999999}', '{"subscribe": "squad", "id": -1}',
    '"a string"', "[1, 2]", "null",
])
async def test_every_malformed_message_gets_an_error_frame_and_the_socket_lives_on(world, message):
    communicator, _ = await _connect(world.coach_a)
    await communicator.send_to(text_data=message)
    reply = await communicator.receive_json_from()
    assert reply["type"] == "error"
    await communicator.send_to(bytes_data=b"\x00\x01")
    assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.send_json_to({"subscribe": "squad", "id": world.squad_a.pk})
    assert (await communicator.receive_json_from())["type"] == "subscribed"
    await communicator.disconnect()


async def test_subscribe_spam_closes_that_socket_and_no_other(world):
    from stridesite.ws_budget import CLOSE_OVER_BUDGET

    spammer, _ = await _connect(world.alice.user)
    coach, _ = await _connect(world.coach_a)
    outputs = []
    for _ in range(40):
        await spammer.send_json_to({"subscribe": "runner", "id": world.alice.pk})
    while True:
        output = await spammer.receive_output(timeout=3)
        outputs.append(output)
        if output["type"] == "websocket.close":
            break
    assert outputs[-1]["code"] == CLOSE_OVER_BUDGET
    await coach.send_json_to({"subscribe": "squad", "id": world.squad_a.pk})
    assert (await coach.receive_json_from())["type"] == "subscribed"
    await coach.disconnect()


async def test_a_page_cannot_pile_up_subscriptions(world, monkeypatch):
    from sessions import consumers

    monkeypatch.setattr(consumers, "MAX_GROUPS", 1)
    communicator, _ = await _connect(world.coach_a)
    await communicator.send_json_to({"subscribe": "squad", "id": world.squad_a.pk})
    assert (await communicator.receive_json_from())["type"] == "subscribed"
    await communicator.receive_json_from()  # its backfill
    await communicator.send_json_to({"subscribe": "runner", "id": world.alice.pk})
    assert "at most 1 subscriptions" in (await communicator.receive_json_from())["error"]
    await communicator.disconnect()


async def test_a_zone_change_reaches_the_boards_of_the_runner_at_once_and_no_other(world):
    """The board redraws its zone band when a coach saves a zone (athletes.services.announce_zones);
    a board of another squad hears nothing of it."""
    mine, _ = await _connect(world.coach_a)
    other, _ = await _connect(world.coach_b)
    for communicator, squad in ((mine, world.squad_a), (other, world.squad_b)):
        await communicator.send_json_to({"subscribe": "squad", "id": squad.pk})
        await communicator.receive_json_from()  # subscribed
        await communicator.receive_json_from()  # backfill
    client = Client()
    await database_sync_to_async(client.force_login)(world.coach_a)
    url = f"/runners/{world.alice.pk}/zones/"
    response = await database_sync_to_async(client.post)(
        url, {"band": "tempo", "metric": "kickback", "low": 101, "high": 119})
    assert response.status_code == 302
    message = await mine.receive_json_from(timeout=2)
    assert message["type"] == "zones" and message["runner"] == world.alice.pk
    assert message["zones"]["tempo"]["kickback"] == [101, 119]
    assert await other.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await other.disconnect()


async def test_a_tick_reaches_the_board_while_the_database_thread_is_busy(world):
    """Channels' own dispatch queued every message behind the one database thread (to close
    old connections): a busy engine held back every board's ticks (stridesite/ws_dispatch.py)."""
    communicator, _ = await _connect(world.coach_a)
    await communicator.send_json_to({"subscribe": "squad", "id": world.squad_a.pk})
    await communicator.receive_json_from()  # subscribed
    await communicator.receive_json_from()  # backfill
    busy, release = await occupy_the_database_thread()
    events = [{"kind": "status", "runner": world.alice.pk, "status": "streaming"}]
    await get_channel_layer().group_send(squad_group(world.squad_a.pk),
                                         tick_message(encode_events(events)))
    try:
        assert await communicator.receive_json_from(timeout=2) == {"type": "tick", "events": events}
    finally:
        release.set()
        await busy
    await communicator.disconnect()

