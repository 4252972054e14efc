"""Websocket consumers whose messages are not queued behind the database thread.

Channels (4.2 and later) runs Django's `close_old_connections` before every message a consumer
handles, through `sync_to_async` — the one thread every `database_sync_to_async` call shares.
So each sample frame, and each live tick to a board, first waited for whatever that thread was
doing (the stride engine, a batch of inserts): at 100 runners the frames reached the ingest
consumer seconds late, one message per trip of that thread. Our consumers touch the database
only through `database_sync_to_async`, which closes old connections itself around each call,
so the hop buys nothing here.
"""

from __future__ import annotations

from channels.consumer import get_handler_name


class DirectDispatch:
    """Mix in before the consumer class: each message goes straight to its handler."""

    async def dispatch(self, message: dict) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
