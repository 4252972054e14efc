"""Websocket routes. Browser sockets: origin check + session auth. Ingest: station token."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from ingest.auth import StationTokenMiddleware
from ingest.consumers import IngestConsumer
from sessions.consumers import LiveConsumer


def browser_route(consumer):
    """Wrap a consumer that browsers reach: same-origin only, user from the session cookie."""
    return AllowedHostsOriginValidator(AuthMiddlewareStack(consumer))


websocket_urlpatterns = [
    path("ws/live/", browser_route(LiveConsumer.as_asgi())),
    # Agents send no Origin header: no origin check, a station token instead.
    path("ws/ingest/", StationTokenMiddleware(IngestConsumer.as_asgi())),
]
