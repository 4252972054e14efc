"""Small builders for the people side; each returns a saved object."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from athletes.models import Coach, Membership, RunnerProfile, Squad
from ingest.models import IngestStation, Leggings
from sessions.models import RunSession

PASSWORD = "correct-horse-battery-staple"
_numbers = itertools.count(1)


def make_user(username: str | None = None, **extra):
    username = username or f"user{next(_numbers)}"
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )


def make_runner(name: str | None = None, height_cm: float = 175) -> RunnerProfile:
    user = make_user()
    return RunnerProfile.objects.create(
        user=user, display_name=name or user.username, height_cm=height_cm
    )


def make_coach(username: str | None = None):
    user = make_user(username)
    Coach.objects.create(user=user)
    return user


def make_squad(coach, *runners: RunnerProfile, name: str = "Squad") -> Squad:
    squad = Squad.objects.create(name=name)
    squad.coaches.add(coach)
    for runner in runners:
        Membership.objects.create(squad=squad, runner=runner)
    return squad


def make_leggings(owner, runner: RunnerProfile | None = None) -> Leggings:
    n = next(_numbers)
    return Leggings.objects.create(
        serial=f"T-{n:04d}",
        ble_name=f"StrideSite-T{n:04d}",
        ble_address=f"AA:BB:CC:00:{n // 256:02X}:{n % 256:02X}",
        owner=owner,
        runner=runner,
    )


def make_station(coach) -> tuple[IngestStation, str]:
    return IngestStation.new(name=f"Station {next(_numbers)}", coach=coach)


def make_session(runner: RunnerProfile, minutes_ago: int = 60, **extra) -> RunSession:
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return RunSession.objects.create(
        runner=runner, started_at=started, ended_at=started + timedelta(minutes=30), **extra
    )


def recording_csv(seconds: float = 25.0, speed: float = 3.6) -> str:
    """A SPEC §4 CSV of a simulated runner standing 3 s, then running (200 Hz)."""
    import io

    import numpy as np

    from metrics.core import Recording, write_csv
    from metrics.simulator import SENSORS, Phase, simulate

    sim = simulate([Phase("stand", 3.0), Phase("run", seconds, speed)], sample_rate=200, seed=3)
    buffer = io.StringIO()
    write_csv(Recording(sim.t, np.column_stack([sim.imu[s] for s in SENSORS])), buffer)
    return buffer.getvalue()


def make_uploaded_session(runner: RunnerProfile, notes: str = "") -> RunSession:
    """`recording_csv` stored as the runner's uploaded session, strides and all."""
    import io

    from metrics.core import read_csv
    from sessions.services import session_from_recording

    return session_from_recording(runner, read_csv(io.StringIO(recording_csv())), notes=notes)
