"""Security events: who did what to which squad, when (staff in the admin, coaches for their squads)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
        STATION_CREATED = "station_created", "station created"
        TOKEN_REVOKED = "token_revoked", "station token revoked"
        INVITATION_SENT = "invitation_sent", "invitation sent"
        INVITATION_ACCEPTED = "invitation_accepted", "invitation accepted"
        RUNNER_REMOVED = "runner_removed", "runner removed from a squad"
        RUNNER_LEFT = "runner_left", "runner left a squad"
        SESSION_DELETED = "session_deleted", "session deleted"
        ZONES_CHANGED = "zones_changed", "zones changed"
        LOGIN_FAILED = "login_failed", "login failed"
        LEGGINGS_REGISTERED = "leggings_registered", "leggings registered"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    squad = models.ForeignKey("athletes.Squad", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="audit_events")
    target = models.CharField(max_length=200, blank=True, help_text="What it was done to, in words")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}: {self.target}"
