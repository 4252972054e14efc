"""Run sessions: one runner wearing one pair of leggings, live or uploaded."""

from __future__ import annotations

from pathlib import Path

from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver

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
        SYNCED = "synced", "Recorded on the leggings"

    runner = models.ForeignKey(RunnerProfile, on_delete=models.CASCADE, related_name="sessions")
    leggings = models.ForeignKey(
        Leggings, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    station = models.ForeignKey(
        "ingest.IngestStation", null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions",
        help_text="The station a live session streams through (the last one, after a move)")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.LIVE)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.LIVE)
    sample_rate_hz = models.FloatField(default=200)
    clock_origin = models.BigIntegerField(
        null=True, blank=True, help_text="Device sample-clock index of t = 0 (live sessions)"
    )
    last_index = models.BigIntegerField(null=True, blank=True, help_text="Newest sample index stored")
    device_run = models.BigIntegerField(
        null=True, blank=True, help_text="The run's id in the leggings' flash (synced sessions)")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["runner", "-started_at"])]
        constraints = [models.UniqueConstraint(
            fields=["leggings", "device_run"], name="one_session_per_device_run",
            condition=models.Q(device_run__isnull=False))]

    def __str__(self) -> str:
        return f"{self.runner} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


class RawChunk(models.Model):
    """A block of raw samples (one agent frame), int16 in the nominal frames, zlib-compressed.

    Never a row per sample: ~10 rows a second per runner, 2 bytes per value.
    """

    session = models.ForeignKey(RunSession, on_delete=models.CASCADE, related_name="chunks")
    frame_seq = models.BigIntegerField(null=True, blank=True, help_text="The agent frame it came in")
    first_index = models.BigIntegerField()
    count = models.PositiveIntegerField()
    accel_range_g = models.PositiveSmallIntegerField()
    gyro_range_dps = models.PositiveSmallIntegerField()
    offsets = models.BinaryField()  # uint16 little-endian, index − first_index
    samples = models.BinaryField()  # zlib(int16 little-endian, count × 24)

    class Meta:
        ordering = ["session", "first_index"]
        indexes = [models.Index(fields=["session", "first_index"])]

    def __str__(self) -> str:
        return f"{self.count} samples from {self.first_index}"


class Upload(models.Model):
    """A recorded file being turned into its session in the background (sessions/tasks.py)."""

    class Stage(models.TextChoices):
        RECEIVING = "receiving", "Receiving the file"
        QUEUED = "queued", "Waiting to start"
        READING = "reading", "Reading and analysing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        CSV = "csv", "Recorded-data CSV (SPEC §4)"
        RUN = "run", "Run file synced from the leggings (ingest/protocol/runs.py)"

    session = models.OneToOneField(RunSession, on_delete=models.CASCADE, related_name="upload")
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.CSV)
    path = models.CharField(max_length=500, help_text="The stored file, removed once read")
    name = models.CharField(max_length=255, help_text="The file's name on the runner's device")
    size_bytes = models.BigIntegerField()
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.QUEUED)
    progress = models.FloatField(default=0.0, help_text="Share of the file received, then read, 0–1")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.get_stage_display()})"


@receiver(post_delete, sender=Upload)
def _remove_stored_file(sender, instance: Upload, **kwargs) -> None:
    """A session deleted before its upload was read takes the stored file with it."""
    Path(instance.path).unlink(missing_ok=True)
