"""Static files in production: a process started with DEBUG=0 collects them itself (no build
step), under hashed names, gzip and brotli copies beside them, cached for a year; Plotly.js
included, never from a CDN."""

import re

from django.templatetags.static import static
from django.test import Client

from stridesite.staticfiles import collect_if_stale


def test_production_static_files_are_hashed_compressed_and_cached_for_a_year(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    assert static("js/board.js") == "/static/js/board.js"  # not collected yet: the plain name
    assert collect_if_stale() is True
    assert collect_if_stale() is False  # nothing changed since: a second process starts at once
    plotly = static("vendor/plotly.min.js")
    assert re.fullmatch(r"/static/vendor/plotly\.min\.[0-9a-f]{12}\.js", plotly)
    client = Client()
    for encoding in ("br", "gzip"):
        response = client.get(plotly, headers={"Accept-Encoding": encoding})
        assert response.status_code == 200 and response["Content-Encoding"] == encoding
        assert "immutable" in response["Cache-Control"] and "max-age=315360000" in response["Cache-Control"]
        assert int(response["Content-Length"]) < 1_600_000  # 4.8 MB as sent uncompressed before
    page = static("js/board.js")
    assert page != "/static/js/board.js" and client.get(page).status_code == 200
