"""Personal access tokens: read what their owner may read (SPEC §8), shown once, revocable."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX = "sst_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PersonalToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    hint = models.CharField(max_length=12, help_text="The token's first characters, to tell tokens apart")
    key_digest = models.CharField(max_length=64, unique=True,
                                  help_text="SHA-256 of the token; the token itself is never stored")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, user, name: str) -> tuple[PersonalToken, str]:
        """A new token for `user`: the row, and the token itself (shown once, never again)."""
        token = PREFIX + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name[:80] or "API token", hint=token[:8],
                                  key_digest=digest(token)), token

    @classmethod
    def owner_of(cls, token: str):
        """The active user a live token belongs to, or None."""
        if not token.startswith(PREFIX):
            return None
        live = cls.objects.select_related("user").filter(revoked_at__isnull=True)
        row = live.filter(key_digest=digest(token)).first()
        if row is None or not row.user.is_active:
            return None
        cls.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        return row.user
