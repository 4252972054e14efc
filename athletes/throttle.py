"""Password-reset mails, capped per address: a flood of reset requests sends a few mails, and
every request gets the same answer (nothing to learn about which addresses exist)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache

WINDOW_S = 3600


def allow_reset_mail(email: str) -> bool:
    """Count a reset for `email`; False once PASSWORD_RESETS_PER_HOUR were sent this hour."""
    key = "reset-mail:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()
    cache.add(key, 0, WINDOW_S)
    return cache.incr(key) <= settings.PASSWORD_RESETS_PER_HOUR


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        if not allow_reset_mail(form.cleaned_data["email"]):
            return auth_views.HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
