"""Logs an operator can read: one line per event, no traceback for a 403, floods summarised."""

import logging
import subprocess
import sys
from pathlib import Path

from stridesite.log_filters import ClientErrorsWithoutTraceback, RateLimit

ROOT = Path(__file__).resolve().parent.parent


def _record(msg: str, **extra) -> logging.LogRecord:
    record = logging.LogRecord("ingest.consumers", logging.INFO, __file__, 1, msg, (), None)
    record.__dict__.update(extra)
    return record


def test_a_flood_of_one_line_is_cut_to_ten_a_minute_and_summarised(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("stridesite.log_filters.time.monotonic", lambda: clock[0])
    limit = RateLimit(per_minute=10)
    passed = [limit.filter(_record("ingest station %s: %s")) for _ in range(500)]
    assert sum(passed) == 10
    assert limit.filter(_record("another kind of line"))
    clock[0] += 61
    later = _record("ingest station %s: %s")
    assert limit.filter(later) and "490 more like it" in later.msg


def test_a_403_is_one_line_and_a_500_keeps_its_traceback():
    try:
        raise PermissionError("no")
    except PermissionError:
        info = sys.exc_info()
    forbidden, crashed = _record("Forbidden", status_code=403), _record("Boom", status_code=500)
    forbidden.exc_info = crashed.exc_info = info
    ClientErrorsWithoutTraceback().filter(forbidden)
    ClientErrorsWithoutTraceback().filter(crashed)
    assert forbidden.exc_info is None and crashed.exc_info is info


def test_a_django_warning_is_printed_once():
    code = "import logging; logging.getLogger('django.request').warning('Not Found: /x')"
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                            capture_output=True, text=True, env={"DEBUG": "1", "PATH": "/usr/bin:/bin"})
    assert result.stderr.count("Not Found: /x") == 1, result.stderr
