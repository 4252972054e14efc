"""Station-token authentication for the ingest websocket (SPEC §8).

The token travels in the `Authorization: Bearer …` header, never in the query string
(query strings end up in logs). Only its hash is stored; a revoked token is refused.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware

from ingest.models import IngestStation


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name.lower() == b"authorization":
            return bearer(value.decode("latin-1"))
    return ""


def bearer(authorization: str) -> str:
    """The token of an `Authorization: Bearer …` header value ("" for any other)."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@database_sync_to_async
def _station_for(token: str) -> IngestStation | None:
    return IngestStation.objects.for_token(token)


class StationTokenMiddleware(BaseMiddleware):
    """Puts the authenticated station (or None) in `scope["station"]`."""

    async def __call__(self, scope, receive, send):
        scope = dict(scope, station=await _station_for(bearer_token(scope.get("headers", []))))
        return await super().__call__(scope, receive, send)
