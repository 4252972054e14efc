"""Store-and-forward spool: every frame is on disk before it is sent, and leaves only when acked.

SQLite in WAL mode with synchronous=FULL: a frame whose `append` returned survives
a crash or power cut of the station. Frames of each device are numbered without gaps
(0, 1, 2 …), the numbering survives restarts, and `pending` replays them in order.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class Spool:
    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS frames (device TEXT, seq INTEGER, payload BLOB,"
            " PRIMARY KEY (device, seq))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS next_seq (device TEXT PRIMARY KEY, seq INTEGER)")

    def next_seq(self, device: str) -> int:
        row = self._db.execute("SELECT seq FROM next_seq WHERE device = ?", (device,)).fetchone()
        return row[0] if row else 0

    def append(self, device: str, seq: int, payload: bytes) -> None:
        """Durably store frame `seq` of `device` (which must be its next number)."""
        self.append_many([(device, seq, payload)])

    def append_many(self, rows: list[tuple[str, int, bytes]]) -> None:
        """Durably store several frames (device, seq, payload) in one transaction."""
        if not rows:
            return
        with self._transaction():
            self._db.executemany("INSERT INTO frames VALUES (?, ?, ?)", rows)
            last: dict[str, int] = {}
            for device, seq, _ in rows:
                last[device] = max(last.get(device, -1), seq)
            self._db.executemany("INSERT OR REPLACE INTO next_seq VALUES (?, ?)",
                                 [(device, seq + 1) for device, seq in last.items()])

    def renumber(self, device: str, start: int, seq_offset: int) -> None:
        """The server expects `start` but we are past it (its database was reset): number the
        pending frames from `start` again (the u32 seq sits at `seq_offset` in each payload)."""
        rows = self._db.execute("SELECT seq, payload FROM frames WHERE device = ? ORDER BY seq",
                                (device,)).fetchall()
        with self._transaction():
            self._db.execute("DELETE FROM frames WHERE device = ?", (device,))
            renumbered = []
            for i, (_, payload) in enumerate(rows):
                data = bytearray(payload)
                data[seq_offset: seq_offset + 4] = (start + i).to_bytes(4, "little")
                renumbered.append((device, start + i, bytes(data)))
            self._db.executemany("INSERT INTO frames VALUES (?, ?, ?)", renumbered)
            self._db.execute("INSERT OR REPLACE INTO next_seq VALUES (?, ?)", (device, start + len(rows)))

    def append_marker(self, device: str, next_seq: int) -> None:
        """Continue numbering at `next_seq` (the server already holds every frame below it)."""
        self._db.execute("INSERT OR REPLACE INTO next_seq VALUES (?, ?)", (device, next_seq))

    def ack(self, device: str, upto: int) -> int:
        """Forget every frame of `device` up to and including seq `upto`; returns how many."""
        cursor = self._db.execute("DELETE FROM frames WHERE device = ? AND seq <= ?", (device, upto))
        return cursor.rowcount

    def pending(self, device: str | None = None, after: int = -1,
                limit: int = 500) -> list[tuple[str, int, bytes]]:
        """Unacknowledged frames in send order (per device by seq)."""
        if device is None:
            return self._db.execute(
                "SELECT device, seq, payload FROM frames ORDER BY seq, device LIMIT ?", (limit,)
            ).fetchall()
        return self._db.execute(
            "SELECT device, seq, payload FROM frames WHERE device = ? AND seq > ? ORDER BY seq LIMIT ?",
            (device, after, limit),
        ).fetchall()

    def backlog(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT device, COUNT(*) FROM frames GROUP BY device").fetchall())

    def close(self) -> None:
        self._db.close()

    def _transaction(self):
        db = self._db

        class _Tx:
            def __enter__(self):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, value, tb):
                db.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Tx()
