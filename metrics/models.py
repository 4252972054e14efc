"""Stored strides and per-runner zone overrides: thin shells around metrics.core."""

from __future__ import annotations

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.constants import OnConflict

from athletes.models import RunnerProfile
from metrics.core import PACE_BANDS, Body, Stride, ZoneTable
from metrics.core.zones import METRICS, validate_zone
from sessions.models import RunSession
from stridesite.durability import insert_unflushed


class StrideRecord(models.Model):
    """One stride of one leg, as the engine computed it (SPEC §5 fields)."""

    session = models.ForeignKey(RunSession, on_delete=models.CASCADE, related_name="strides")
    leg = models.CharField(max_length=5, choices=[("left", "left"), ("right", "right")])
    t_start = models.FloatField(help_text="IC, seconds from the session's start")
    t_toe_off = models.FloatField()
    t_end = models.FloatField()
    kickback_deg = models.FloatField()
    shank_back_deg = models.FloatField()
    heel_rise_cm = models.FloatField()
    knee_elevation_deg = models.FloatField()
    knee_rise_cm = models.FloatField()
    cadence_spm = models.FloatField()
    contact_ms = models.PositiveIntegerField()
    speed_mps = models.FloatField()
    pace_band = models.CharField(max_length=8, choices=[(b, b) for b in PACE_BANDS])
    kickback_zone = models.CharField(max_length=5)
    knee_elevation_zone = models.CharField(max_length=5)
    kickback_symmetry_pct = models.FloatField(null=True, blank=True)
    knee_elevation_symmetry_pct = models.FloatField(null=True, blank=True)
    trace = models.JSONField(default=dict, blank=True, help_text="Thigh and shank angles from IC, 25 Hz")
    quality = models.JSONField(default=dict, blank=True,
                               help_text="Missing samples, longest gap, gap at a peak, ± degrees (SPEC §6)")
    low_quality = models.BooleanField(default=False, help_text="Left out of medians and zone shares")

    class Meta:
        ordering = ["session", "leg", "t_start"]
        indexes = [models.Index(fields=["session", "t_start"])]
        constraints = [
            models.UniqueConstraint(fields=["session", "leg", "t_start"], name="one_stride_per_ic")
        ]

    def __str__(self) -> str:
        return f"{self.leg} stride at {self.t_start:.2f} s"

    @classmethod
    def store(cls, session: RunSession, strides: list[Stride], ignore_conflicts: bool = False,
              unflushed: bool = False) -> None:
        """Insert many strides at once: one executemany, without a model instance per stride
        (a 2-hour upload holds 21,000 strides; `bulk_create` spent 3 s building them), the JSON
        columns written by orjson (the standard library's encoder took half of the rest; a NaN,
        which PostgreSQL's jsonb refuses, becomes null). `unflushed`: in a commit of their own
        that does not wait for the disk (live strides, stridesite.durability.insert_unflushed)."""
        if not strides:
            return
        db = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy looks it up
        fields = [f for f in cls._meta.concrete_fields if not f.primary_key]
        json_fields = {f.name for f in fields if isinstance(f, models.JSONField)}
        on_conflict = OnConflict.IGNORE if ignore_conflicts else None
        row = f"({', '.join(['%s'] * len(fields))})"
        insert = (f"{db.ops.insert_statement(on_conflict=on_conflict)} {cls._meta.db_table} "
                  f"({', '.join(db.ops.quote_name(f.column) for f in fields)}) VALUES {{rows}} "
                  f"{db.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)}")
        rows = []
        for stride in strides:
            values = cls._values(session, stride)
            rows.append([orjson.dumps(values[f.name]).decode() if f.name in json_fields else values[f.name]
                         for f in fields])
        if unflushed:
            insert_unflushed(insert, row, rows)
            return
        with db.cursor() as cursor:
            cursor.executemany(insert.format(rows=row), rows)

    @staticmethod
    def _values(session: RunSession, stride: Stride) -> dict:
        return {
            "session": session.pk, "leg": stride.leg, "t_start": stride.t_start,
            "t_toe_off": stride.t_toe_off, "t_end": stride.t_end, "kickback_deg": stride.kickback_deg,
            "shank_back_deg": stride.shank_back_deg,
            "heel_rise_cm": stride.heel_rise_cm, "knee_elevation_deg": stride.knee_elevation_deg,
            "knee_rise_cm": stride.knee_rise_cm, "cadence_spm": stride.cadence_spm,
            "contact_ms": stride.contact_ms, "speed_mps": stride.speed_mps, "pace_band": stride.pace_band,
            "kickback_zone": stride.zone["kickback"], "knee_elevation_zone": stride.zone["knee_elevation"],
            "kickback_symmetry_pct": stride.symmetry_pct.get("kickback"),
            "knee_elevation_symmetry_pct": stride.symmetry_pct.get("knee_elevation"),
            "trace": stride.trace, "quality": stride.quality, "low_quality": stride.low_quality,
        }


class ZoneOverride(models.Model):
    """A coach's target zone for one runner, pace band and metric. The newest row wins;
    older rows are the history of changes."""

    runner = models.ForeignKey(RunnerProfile, on_delete=models.CASCADE, related_name="zone_overrides")
    band = models.CharField(max_length=8, choices=[(b, b) for b in PACE_BANDS])
    metric = models.CharField(max_length=16, choices=[(m, m) for m in METRICS])
    low = models.FloatField()
    high = models.FloatField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-set_at", "-id"]

    def __str__(self) -> str:
        return f"{self.runner} {self.band} {self.metric} {self.low:g}–{self.high:g}"

    def clean(self) -> None:
        try:
            validate_zone(self.metric, self.low, self.high)
        except ValueError as error:
            raise ValidationError(str(error)) from None


def zone_table_for(runner: RunnerProfile) -> ZoneTable:
    """The runner's zones now: defaults with the newest override per band and metric."""
    return zone_tables_for([runner.pk])[runner.pk]


def zone_tables_for(runner_ids: list[int]) -> dict[int, ZoneTable]:
    """Each runner's zones now, in one query."""
    overrides: dict[int, dict[str, dict[str, tuple[float, float]]]] = {pk: {} for pk in runner_ids}
    rows = ZoneOverride.objects.filter(runner_id__in=runner_ids).values_list(
        "runner_id", "band", "metric", "low", "high")
    for runner_id, band, metric, low, high in rows:  # newest first
        overrides[runner_id].setdefault(band, {}).setdefault(metric, (low, high))
    return {pk: ZoneTable(table) for pk, table in overrides.items()}


def body_of(runner: RunnerProfile) -> Body:
    """The runner's segment lengths for the engine (profile, or SPEC §5 fractions of height)."""
    return Body.from_height(runner.height_cm / 100, runner.thigh_m, runner.shank_m)
