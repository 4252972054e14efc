"""The API tokens page: make a token (shown once), see when each was last used, revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from api.models import PersonalToken
from stridesite.limits import MADE_A_DAY, made_in_last_day

LIVE_TOKENS = 10  # a user's tokens not revoked: a script or notebook each is plenty


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    new, status = None, 200
    if request.method == "POST":
        mine = request.user.api_tokens
        if mine.filter(revoked_at__isnull=True).count() >= LIVE_TOKENS:
            messages.error(request, f"You have {LIVE_TOKENS} tokens already: revoke one you no longer use.")
            status = 400
        elif made_in_last_day(mine) >= MADE_A_DAY:
            messages.error(request, f"At most {MADE_A_DAY} new tokens a day: try again tomorrow.")
            status = 400
        else:
            _, new = PersonalToken.issue(request.user, request.POST.get("name", "").strip())
    return render(request, "api/tokens.html", {"tokens": request.user.api_tokens.all(), "new": new},
                  status=status)


@login_required
@require_POST
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(PersonalToken, pk=token_id, user=request.user, revoked_at__isnull=True)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    messages.success(request, f"Token “{token.name}” revoked: it no longer opens the API.")
    return redirect("api_tokens")
