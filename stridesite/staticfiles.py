"""Static files in production: hashed names, gzip and brotli copies, cached for a year by the
browser (WhiteNoise marks hashed names immutable) — still served by the app, no CDN.

There is no build step to remember: a process started with DEBUG=0 collects them itself
(`collect_if_stale`, from stridesite/asgi.py) when a source is newer than the last collection,
one process at a time. Until then, and with DEBUG=1 or in the tests, a file keeps its plain name
and is served from the finders, as in development.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticFiles(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected yet: its plain name, served by the finders
            return name


def _newest_source() -> float:
    newest = 0.0
    for finder in get_finders():
        for path, storage in finder.list([]):
            newest = max(newest, Path(storage.path(path)).stat().st_mtime)
    return newest


def collect_if_stale() -> bool:
    """Run collectstatic when the manifest is missing or older than a source; True if it ran."""
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / "staticfiles.json"

    def stale() -> bool:
        return not manifest.exists() or manifest.stat().st_mtime < _newest_source()

    if not stale():
        return False
    with open(root / ".collecting.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be collecting: wait, then look again
        if not stale():
            return False
        call_command("collectstatic", interactive=False, verbosity=0)
        return True
