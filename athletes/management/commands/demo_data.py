"""Create the demo squad: a coach, eight runners with leggings, one ingest station. Idempotent."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from athletes.models import Coach, Membership, RunnerProfile, Squad, hash_token
from ingest.models import IngestStation, Leggings

DEMO_RUNNERS = [
    ("Ava Okafor", 168), ("Ben Lindqvist", 183), ("Chloé Martin", 171), ("Dev Patel", 177),
    ("Erin Walsh", 163), ("Femi Adeyemi", 186), ("Greta Novak", 174), ("Hiro Tanaka", 179),
]


def demo_secret(purpose: str) -> str:
    """A stable secret for this installation, derived from SECRET_KEY, so reruns print the same."""
    digest = hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


class Command(BaseCommand):
    help = "Create (or refresh) the demo coach, squad of 8 runners with leggings, and station."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runners", type=int, default=len(DEMO_RUNNERS),
                            help="squad size (beyond 8, runners are numbered; for benchmarks)")

    def _demo_history(self, runner: RunnerProfile) -> None:
        """Three recorded sessions at easy, tempo and fast pace for the first runner (once)."""
        from metrics.core import Recording
        from metrics.simulator import SENSORS, Runner, SensorErrors, simulate, standard_session
        from sessions.models import RunSession
        from sessions.services import session_from_recording

        if RunSession.objects.filter(runner=runner, source=RunSession.Source.UPLOAD).exists():
            return
        # The tempo run went through radio fades (150 ms lost at a time): some strides come out
        # low-quality, as real runs do.
        fades = SensorErrors(packet_loss=0.03, samples_per_packet=30, packet_interleave=1)
        for day, speed, errors, note in ((6, 2.8, SensorErrors(packet_loss=0.02), ""),
                                         (4, 4.0, fades, " through radio fades"),
                                         (2, 5.2, SensorErrors(packet_loss=0.02), "")):
            sim = simulate(standard_session(speed, 150), sample_rate=200, seed=day,
                           runner=Runner(height_m=runner.height_cm / 100), errors=errors)
            recording = Recording(sim.t, np.column_stack([sim.imu[s] for s in SENSORS]))
            session = session_from_recording(runner, recording, notes=f"Demo run at {speed} m/s{note}")
            shift = timedelta(days=day)
            RunSession.objects.filter(pk=session.pk).update(started_at=session.started_at - shift,
                                                            ended_at=session.ended_at - shift)

    @transaction.atomic
    def handle(self, *args, runners: int, **options) -> None:
        users = get_user_model().objects
        password = demo_secret("demo-password")
        coach, _ = users.get_or_create(
            username="coach", defaults={"first_name": "Demo", "last_name": "Coach"}
        )
        coach.set_password(password)
        coach.save()
        Coach.objects.get_or_create(user=coach)
        squad = Squad.objects.filter(name="Demo squad", coaches=coach).first()
        if squad is None:
            squad = Squad.objects.create(name="Demo squad")
            squad.coaches.add(coach)

        extra = range(len(DEMO_RUNNERS) + 1, runners + 1)
        people = DEMO_RUNNERS + [(f"Runner {n}", 165 + n % 20) for n in extra]
        for number, (name, height) in enumerate(people[:runners], start=1):
            user, _ = users.get_or_create(
                username=f"runner{number}", defaults={"email": f"runner{number}@example.com"}
            )
            user.set_password(password)
            user.save()
            runner, _ = RunnerProfile.objects.update_or_create(
                user=user, defaults={"display_name": name, "height_cm": height}
            )
            Membership.objects.get_or_create(squad=squad, runner=runner)
            Leggings.objects.update_or_create(
                owner=coach,
                serial=f"SS-{number:04d}",
                defaults={
                    "ble_name": f"StrideSite-{number:04d}",
                    "ble_address": f"5A:1D:E0:00:00:{number:02X}",
                    "runner": runner,
                },
            )

        self._demo_history(RunnerProfile.objects.get(user__username="runner1"))
        token = demo_secret("demo-station-token")
        IngestStation.objects.update_or_create(
            name="Demo trackside station",
            coach=coach,
            defaults={"token_hash": hash_token(token), "token_hint": token[:6], "revoked_at": None},
        )
        self.stdout.write(
            f"Demo squad ready: {squad.members.count()} runners (squad id {squad.pk}).\n"
            f"  coach login:     coach / {password}\n"
            f"  runner logins:   runner1 … runner{runners} / {password}\n"
            f"  station token:   {token}\n"
        )
