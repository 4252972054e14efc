"""Leggings (the four-IMU garment) and the ingest stations that read them."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from athletes.models import RunnerProfile, hash_token

SENSORS = ("left_thigh", "left_shank", "right_thigh", "right_shank")
IDENTITY = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def default_mounting() -> dict[str, list[list[float]]]:
    return {sensor: [row[:] for row in IDENTITY] for sensor in SENSORS}


def validate_mounting(value: object) -> None:
    """Mounting calibration: one 3×3 rotation matrix (sensor → nominal frame) per sensor."""
    if not isinstance(value, dict) or set(value) != set(SENSORS):
        raise ValidationError(f"Mounting calibration needs exactly the sensors {SENSORS}.")
    for sensor, matrix in value.items():
        ok = (
            isinstance(matrix, list)
            and len(matrix) == 3
            and all(
                isinstance(row, list)
                and len(row) == 3
                and all(isinstance(x, int | float) for x in row)
                for row in matrix
            )
        )
        if not ok:
            raise ValidationError(f"{sensor}: a 3×3 matrix of numbers is required.")


class Leggings(models.Model):
    """A pair as one account registered it. Serial and address are unique per owner, not
    worldwide: serials are printed and guessable, so a first-come registration let anyone block
    a pair's real owner; a station streams only its owner's records (permissions.station_leggings)."""

    serial = models.CharField(max_length=40)
    ble_name = models.CharField(max_length=40, help_text="Advertised BLE name")
    ble_address = models.CharField(
        max_length=17,
        validators=[RegexValidator(r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$", "Use AA:BB:CC:DD:EE:FF.")],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="leggings",
        help_text="The coach who manages this garment",
    )
    runner = models.ForeignKey(
        RunnerProfile,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leggings",
    )
    mounting = models.JSONField(default=default_mounting, validators=[validate_mounting])

    class Meta:
        ordering = ["serial"]
        verbose_name_plural = "leggings"
        constraints = [
            models.UniqueConstraint(fields=["owner", "serial"], name="one_serial_per_owner"),
            models.UniqueConstraint(fields=["owner", "ble_address"], name="one_address_per_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.serial} ({self.ble_name})"


class IngestStationQuerySet(models.QuerySet):
    def active(self) -> IngestStationQuerySet:
        return self.filter(revoked_at__isnull=True)

    def for_token(self, token: str) -> IngestStation | None:
        """The active station holding this token, or None."""
        if not token:
            return None
        return self.active().filter(token_hash=hash_token(token)).select_related("coach").first()


class IngestStation(models.Model):
    """A trackside laptop or Pi running the ingest agent, authenticated by a token: a coach's,
    or a runner's home station (`home`), which writes and syncs her own leggings only.

    The token is shown once at creation; only its hash is stored.
    """

    name = models.CharField(max_length=80)
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stations",
        help_text="Its owner: the coach, or the runner of a home station",
    )
    home = models.BooleanField(default=False, help_text="A runner's own station")
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=8, help_text="First characters, to tell tokens apart")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(
        null=True, blank=True, help_text="Refreshed every few seconds while its agent is connected")

    objects = IngestStationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def new(cls, *, name: str, coach) -> tuple[IngestStation, str]:
        """Create a station; returns it and its raw token, which is never stored."""
        token = secrets.token_urlsafe(32)
        station = cls.objects.create(
            name=name, coach=coach, token_hash=hash_token(token), token_hint=token[:6]
        )
        return station, token

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IngestCursor(models.Model):
    """Per leggings: the next agent frame seq the server expects (frames below it are stored)."""

    leggings = models.OneToOneField(Leggings, on_delete=models.CASCADE, related_name="cursor")
    next_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.leggings}: next frame {self.next_seq}"
