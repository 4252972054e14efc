"""Recording security events: one call per event, from the view that performed it."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from audit.models import AuditEvent
from stridesite.permissions import coached_squads


def audit_record(kind: str, *, request=None, actor=None, squad=None, target: str = "") -> AuditEvent:
    """Store one event; the actor and address come from the request when there is one."""
    if request is not None and actor is None and request.user.is_authenticated:
        actor = request.user
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    return AuditEvent.objects.create(kind=kind, actor=actor, squad=squad, target=target[:200], ip=ip)


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    """A coach reads the events of his squads and his own; staff read all (also in the admin)."""
    if not user.is_authenticated:
        return AuditEvent.objects.none()
    if user.is_staff:
        return AuditEvent.objects.all()
    return AuditEvent.objects.filter(Q(squad__in=coached_squads(user)) | Q(actor=user))
