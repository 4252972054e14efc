from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.services import audit_events_visible_to
from stridesite.permissions import is_coach


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """A coach's security log: his squads' stations, invitations, removals, deletions, zones."""
    if not is_coach(request.user):
        raise PermissionDenied("Coaches only.")
    events = audit_events_visible_to(request.user).select_related("actor", "squad")[:300]
    return render(request, "audit/log.html", {"events": events})
