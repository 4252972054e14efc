"""Browser websocket: session auth, origin check, SPEC §8 on every subscription."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from athletes import services
from sessions.groups import runner_group, squad_group
from stridesite.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def _connect(user=None, origin=b"http://127.0.0.1:8000"):
    headers = [(b"origin", origin)]
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


async def test_foreign_origin_is_refused(world):
    communicator, connected = await _connect(world.coach_a, origin=b"http://evil.example")
    assert not connected


async def test_coach_subscribes_to_own_squad_and_receives_events(world):
    communicator, connected = await _connect(world.coach_a)
    assert connected
    await communicator.send_json_to({"subscribe": "squad", "id": world.squad_a.pk})
    assert await communicator.receive_json_from() == {"type": "subscribed", "squad": world.squad_a.pk}
    event = {"type": "stride", "runner": world.alice.pk, "kickback_deg": 101.5}
    await get_channel_layer().group_send(
        squad_group(world.squad_a.pk), {"type": "live.event", "event": event}
    )
    assert await communicator.receive_json_from() == event
    await communicator.disconnect()


async def test_coach_cannot_subscribe_to_another_coachs_squad_or_runner(world):
    communicator, _ = await _connect(world.coach_a)
    for kind, object_id in (("squad", world.squad_b.pk), ("runner", world.bea.pk)):
        await communicator.send_json_to({"subscribe": kind, "id": object_id})
        reply = await communicator.receive_json_from()
        assert reply["type"] == "error"
    await get_channel_layer().group_send(
        squad_group(world.squad_b.pk), {"type": "live.event", "event": {"type": "stride"}}
    )
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_runner_watches_only_themselves(world):
    communicator, _ = await _connect(world.alice.user)
    await communicator.send_json_to({"subscribe": "runner", "id": world.alice.pk})
    assert (await communicator.receive_json_from())["type"] == "subscribed"
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
    await communicator.disconnect()


async def test_a_coach_watching_a_removed_runner_is_unsubscribed(world):
    communicator, _ = await _connect(world.coach_a)
    await communicator.send_json_to({"subscribe": "runner", "id": world.arno.pk})
    await communicator.receive_json_from()
    await database_sync_to_async(services.membership_remove)(squad=world.squad_a, runner=world.arno)
    reply = await communicator.receive_json_from()
    assert reply == {"type": "unsubscribed", "runner": world.arno.pk, "reason": "access revoked"}
    await get_channel_layer().group_send(
        runner_group(world.arno.pk), {"type": "live.event", "event": {"type": "stride"}}
    )
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()
