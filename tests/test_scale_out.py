"""The scale-out configuration against the real PostgreSQL and Redis (when configured).

`.ci/run` runs the suite a second time with DATABASE_URL and REDIS_URL set.
"""

import os

import pytest
from django.conf import settings
from django.db import connection

scale_out = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL unset: embedded configuration run"
)


@pytest.mark.django_db
def test_database_follows_database_url():
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == expected


def test_embedded_default_uses_in_memory_layer():
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if os.environ.get("REDIS_URL"):
        assert backend == "channels_redis.pubsub.RedisPubSubChannelLayer"
    else:
        assert backend == "channels.layers.InMemoryChannelLayer"


@scale_out
async def test_a_group_message_crosses_processes_through_redis():
    """Two separate layer instances stand for two daphne processes."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    hosts = [os.environ["REDIS_URL"]]
    sender, receiver = RedisPubSubChannelLayer(hosts=hosts), RedisPubSubChannelLayer(hosts=hosts)
    channel = await receiver.new_channel()
    await receiver.group_add("squad.scaleout-test", channel)
    await sender.group_send("squad.scaleout-test", {"type": "live.event", "event": {"n": 1}})
    assert await receiver.receive(channel) == {"type": "live.event", "event": {"n": 1}}
    await receiver.group_discard("squad.scaleout-test", channel)
    await sender.flush()
    await receiver.flush()
