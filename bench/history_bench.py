"""History benchmark: a 2-hour session (~10,000 strides per leg) — page and chart-data time and size.

    python bench/history_bench.py

Builds the strides in a throwaway SQLite database (the page never reads raw samples),
then times the session page and its chart data through Django's test client.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/history.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stridesite.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from athletes.models import RunnerProfile  # noqa: E402
from metrics.models import StrideRecord  # noqa: E402
from sessions.models import RunSession  # noqa: E402


def build(strides_per_leg: int) -> RunSession:
    runner = RunnerProfile.objects.get(user__username="runner1")
    session = RunSession.objects.create(runner=runner, started_at=timezone.now(), ended_at=timezone.now(),
                                        status="done", source="upload")
    rng = np.random.default_rng(1)
    rows = []
    for leg in ("left", "right"):
        t = np.cumsum(rng.normal(0.7, 0.02, strides_per_leg))
        for i in range(strides_per_leg):
            rows.append(StrideRecord(
                session=session, leg=leg, t_start=float(t[i]), t_toe_off=float(t[i] + 0.22), t_end=float(t[i] + 0.7),
                kickback_deg=float(rng.normal(112, 4)), shank_back_deg=88, heel_rise_cm=44,
                knee_elevation_deg=float(rng.normal(38, 2)), knee_rise_cm=9, cadence_spm=172, contact_ms=230,
                speed_mps=3.5, pace_band="steady", kickback_zone="in", knee_elevation_zone="in",
                kickback_symmetry_pct=1.0, knee_elevation_symmetry_pct=0.5,
                trace={"thigh": list(range(18)), "shank": list(range(18))}))
    StrideRecord.objects.bulk_create(rows, batch_size=2000)
    return session


def timed(client: Client, url: str) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(5):
        start = time.perf_counter()
        response = client.get(url)
        best = min(best, time.perf_counter() - start)
        size = len(response.content)
        assert response.status_code == 200
    return best, size


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("demo_data", stdout=open(os.devnull, "w"))  # noqa: SIM115
    session = build(10_000)
    client = Client()
    client.force_login(session.runner.user)
    page, page_bytes = timed(client, f"/sessions/{session.pk}/")
    charts, chart_bytes = timed(client, f"/sessions/{session.pk}/charts/")
    print(f"2-hour session, {session.strides.count():,} strides")
    print(f"  session page: {1000 * page:.0f} ms server time, {page_bytes / 1024:.0f} KB HTML")
    print(f"  chart data:   {1000 * charts:.0f} ms server time, {chart_bytes / 1024:.0f} KB JSON (decimated to "
          f"≤ 2,500 strides per leg)")


if __name__ == "__main__":
    main()
