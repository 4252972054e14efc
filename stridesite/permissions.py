"""Who sees what (SPEC §8): every view and consumer asks here, nowhere else.

Each rule is a queryset of what the user may reach, so a denied object is simply
not found (404) and an id guessed from outside leaks nothing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from athletes.models import RunnerProfile, Squad
from ingest.models import IngestStation, Leggings
from sessions.models import RunSession


def is_coach(user) -> bool:
    return user.is_authenticated and (user.is_staff or hasattr(user, "coach"))


def coached_squads(user) -> QuerySet[Squad]:
    """Squads the user manages in full: a coach's own squads; every squad for staff."""
    if not user.is_authenticated:
        return Squad.objects.none()
    if user.is_staff:
        return Squad.objects.all()
    return Squad.objects.filter(coaches=user)


def coached_runners(user) -> QuerySet[RunnerProfile]:
    """Runners whose data the user reads as a coach, whose zones they edit, and whom they watch live."""
    if not user.is_authenticated:
        return RunnerProfile.objects.none()
    if user.is_staff:
        return RunnerProfile.objects.all()
    return RunnerProfile.objects.filter(squads__coaches=user).distinct()


def visible_runners(user) -> QuerySet[RunnerProfile]:
    """Runners whose data the user may read: themselves and, for a coach, their squads' members."""
    if not user.is_authenticated:
        return RunnerProfile.objects.none()
    if user.is_staff:
        return RunnerProfile.objects.all()
    return RunnerProfile.objects.filter(Q(user=user) | Q(squads__coaches=user)).distinct()


def visible_sessions(user) -> QuerySet[RunSession]:
    """Run sessions the user may read."""
    if not user.is_authenticated:
        return RunSession.objects.none()
    if user.is_staff:
        return RunSession.objects.all()
    return RunSession.objects.filter(
        Q(runner__user=user) | Q(runner__squads__coaches=user)
    ).distinct()


def deletable_sessions(user) -> QuerySet[RunSession]:
    """Only the runner (or staff) deletes a session; coaches read."""
    if not user.is_authenticated:
        return RunSession.objects.none()
    if user.is_staff:
        return RunSession.objects.all()
    return RunSession.objects.filter(runner__user=user)


def managed_leggings(user) -> QuerySet[Leggings]:
    """Leggings the user may assign: a coach's own garments; all for staff."""
    if not user.is_authenticated:
        return Leggings.objects.none()
    if user.is_staff:
        return Leggings.objects.all()
    return Leggings.objects.filter(owner=user)


def managed_stations(user) -> QuerySet[IngestStation]:
    if not user.is_authenticated:
        return IngestStation.objects.none()
    if user.is_staff:
        return IngestStation.objects.all()
    return IngestStation.objects.filter(coach=user)


def station_leggings(station: IngestStation) -> QuerySet[Leggings]:
    """Leggings an active station may write samples for (SPEC §8): its coach's own garments, worn
    by a runner of one of its coach's squads; for a runner's home station, her own leggings. A
    runner in two coaches' squads does not open one coach's leggings (and their ingest cursor) to
    the other's stations."""
    if not station.is_active:
        return Leggings.objects.none()
    if station.home:  # a runner's home station: the leggings she registered, worn by her
        return Leggings.objects.filter(owner=station.coach, runner__user=station.coach)
    return Leggings.objects.filter(owner=station.coach, runner__squads__coaches=station.coach).distinct()
