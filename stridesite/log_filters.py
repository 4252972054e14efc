"""Logging that a club's operator can read: one line per event, floods summarised."""

from __future__ import annotations

import logging
import time


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 403 or 404 is the client's doing: one line, not a traceback (5xx keep theirs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info, record.exc_text = None, None
        return True


class RateLimit(logging.Filter):
    """At most `per_minute` lines of one kind (logger and message template) a minute; the next
    line after a quiet spell says how many were left out."""

    def __init__(self, per_minute: int = 10) -> None:
        super().__init__()
        self.per_minute = per_minute
        self._seen: dict[tuple[str, str], list] = {}  # key → [window start, count, suppressed]

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        window = self._seen.setdefault(key, [now, 0, 0])
        if now - window[0] >= 60:
            if window[2]:
                record.msg = f"{record.msg} (and {window[2]} more like it in the last minute)"
            window[:] = [now, 0, 0]
        window[1] += 1
        if window[1] > self.per_minute:
            window[2] += 1
            return False
        return True
