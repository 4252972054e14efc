"""Holding the one thread that every `database_sync_to_async` call shares."""

import asyncio
import threading

from channels.db import database_sync_to_async


async def occupy_the_database_thread() -> tuple[asyncio.Future, threading.Event]:
    """Block the thread every database_sync_to_async call shares until the event is set."""
    release = threading.Event()
    started = threading.Event()

    def hold() -> None:
        started.set()
        release.wait(10)

    busy = asyncio.ensure_future(database_sync_to_async(hold)())
    while not started.is_set():
        await asyncio.sleep(0.01)
    return busy, release
