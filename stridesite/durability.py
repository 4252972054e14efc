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


def insert_unflushed(insert: str, row: str, rows: list[list]) -> None:
    """`insert` ("INSERT INTO t (a, b) VALUES {rows} …", `row` the placeholders of one row)
    committed on its own without waiting for the disk. On PostgreSQL in one round trip: SET
    LOCAL synchronous_commit and the insert go as one query, which runs as one implicit
    transaction (`commits_not_flushed` costs a SET and a RESET more). Elsewhere, and inside a
    transaction, executemany within `commits_not_flushed`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            placeholders = ", ".join([row] * len(rows))
            cursor.execute(f"SET LOCAL synchronous_commit TO OFF; {insert.format(rows=placeholders)}",
                           [value for values in rows for value in values])
            return
        with commits_not_flushed():
            cursor.executemany(insert.format(rows=row), rows)
