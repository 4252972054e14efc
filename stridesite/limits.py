"""Bounds on what one account makes, so that no script can make rows without end."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

MADE_A_DAY = 20  # tokens, or stations, one account may make in any 24 hours


def made_in_last_day(rows: QuerySet) -> int:
    """How many of `rows` (a model with `created_at`) were made in the last 24 hours."""
    return rows.filter(created_at__gte=timezone.now() - timedelta(days=1)).count()
