"""Run sessions: one runner wearing one pair of leggings, live or uploaded."""

from __future__ import annotations

from django.db import models

from athletes.models import RunnerProfile
from ingest.models import Leggings


class RunSession(models.Model):
    class Status(models.TextChoices):
        LIVE = "live", "Live"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        LIVE = "live", "Streamed live"
        UPLOAD = "upload", "Uploaded file"

    runner = models.ForeignKey(RunnerProfile, on_delete=models.CASCADE, related_name="sessions")
    leggings = models.ForeignKey(
        Leggings, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.LIVE)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.LIVE)
    sample_rate_hz = models.FloatField(default=200)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["runner", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.runner} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()
