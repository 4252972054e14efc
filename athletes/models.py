"""Runners, coaches, squads and invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

# SPEC §5: default segment lengths as fractions of body height.
THIGH_FRACTION = 0.245
SHANK_FRACTION = 0.246


def hash_token(token: str) -> str:
    """One-way hash for secrets we must recognise but never show again."""
    return hashlib.sha256(token.encode()).hexdigest()


class RunnerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runner"
    )
    display_name = models.CharField(max_length=80)
    height_cm = models.FloatField(
        validators=[MinValueValidator(100), MaxValueValidator(230)], default=175
    )
    thigh_cm = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(25), MaxValueValidator(70)]
    )
    shank_cm = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(25), MaxValueValidator(70)]
    )

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def thigh_m(self) -> float:
        return self.thigh_cm / 100 if self.thigh_cm else THIGH_FRACTION * self.height_cm / 100

    @property
    def shank_m(self) -> float:
        return self.shank_cm / 100 if self.shank_cm else SHANK_FRACTION * self.height_cm / 100


class Coach(models.Model):
    """The coach role: a user who may create and manage squads."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coach"
    )

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.username


class Squad(models.Model):
    name = models.CharField(max_length=100)
    coaches = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="coached_squads")
    members = models.ManyToManyField(RunnerProfile, through="Membership", related_name="squads")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    squad = models.ForeignKey(Squad, on_delete=models.CASCADE)
    runner = models.ForeignKey(RunnerProfile, on_delete=models.CASCADE)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["squad", "runner"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.runner} in {self.squad}"


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A coach's invitation for an email address to join a squad.

    Only the token's hash is stored; the token itself travels in the email link.
    """

    squad = models.ForeignKey(Squad, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        RunnerProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.squad}"

    @classmethod
    def new(cls, *, squad: Squad, email: str, invited_by) -> tuple[Invitation, str]:
        """Create an invitation; returns it and the raw token (shown only in the email)."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            squad=squad,
            email=email,
            invited_by=invited_by,
            token_hash=hash_token(token),
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
        )
        return invitation, token

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()
