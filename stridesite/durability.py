"""Commits that do not wait for the disk, for rows a later synced commit covers or that can be
computed again: a crash of this process loses none of them (the database has them); a power cut
or a crash of the database server may lose the last of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def commits_not_flushed() -> Iterator[None]:
    """Within the block, commits return without flushing to disk: SQLite in WAL mode with
    synchronous NORMAL (the next FULL commit flushes them too), PostgreSQL with
    synchronous_commit off. Inside a transaction the outer commit decides: nothing changes."""
    vendor = connection.vendor if not connection.in_atomic_block else ""
    setting = {"sqlite": ("PRAGMA synchronous=NORMAL", "PRAGMA synchronous=FULL"),
               "postgresql": ("SET synchronous_commit TO OFF", "RESET synchronous_commit")}.get(vendor)
    if setting is None:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(setting[0])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(setting[1])
