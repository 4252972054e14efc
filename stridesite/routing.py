"""Websocket routes. Browser sockets: origin check + session auth. Ingest: station token."""

from channels.auth import AuthMiddlewareStack
from django.urls import path

from ingest.auth import StationTokenMiddleware
from ingest.consumers import IngestConsumer
from sessions.consumers import LiveConsumer
from stridesite.ws_origin import SameOriginValidator


def browser_route(consumer):
    """Wrap a consumer that browsers reach: same origin only (scheme, host and port), user from the
    session cookie."""
    return SameOriginValidator(AuthMiddlewareStack(consumer))


websocket_urlpatterns = [
    path("ws/live/", browser_route(LiveConsumer.as_asgi())),
    # Agents send no Origin header: no origin check, a station token instead.
    path("ws/ingest/", StationTokenMiddleware(IngestConsumer.as_asgi())),
]
