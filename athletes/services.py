"""Writes on the people side: invitations, memberships, leggings assignment."""

from __future__ import annotations

import logging
import smtplib

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from athletes.models import Invitation, Membership, RunnerProfile, Squad
from ingest.models import Leggings
from metrics.models import zone_table_for
from sessions.groups import runner_group, squad_group

log = logging.getLogger(__name__)


class MailNotSent(Exception):
    """The invitation stands but its mail did not leave: `link` is for the coach to pass on."""

    def __init__(self, reason: str, link: str) -> None:
        super().__init__(reason)
        self.link = link


def invitation_send(*, squad: Squad, email: str, invited_by, base_url: str) -> Invitation:
    """Invite `email` to `squad` and mail the one-time link; MailNotSent (with the link) when the
    mail server cannot be reached."""
    invitation, token = Invitation.new(squad=squad, email=email, invited_by=invited_by)
    link = base_url + reverse("invitation_accept", args=[token])
    try:
        _mail_invitation(squad, email, invited_by, invitation, link)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("invitation mail to %s not sent: %s", email, error)
        raise MailNotSent(str(error) or type(error).__name__, link) from None
    return invitation


def _mail_invitation(squad: Squad, email: str, invited_by, invitation: Invitation, link: str) -> None:
    send_mail(
        subject=f"Join {squad.name} on StrideSite",
        message=(
            f"{invited_by.get_full_name() or invited_by.username} invites you to the squad "
            f"{squad.name} on StrideSite.\n\nAccept here: {link}\n\n"
            f"The link expires on {invitation.expires_at:%Y-%m-%d %H:%M %Z}."
        ),
        from_email=None,
        recipient_list=[email],
    )


class InvitationUnavailable(Exception):
    """Expired, withdrawn, or accepted meanwhile (two tabs, two clicks)."""


def invitation_is_for(invitation: Invitation, user) -> bool:
    """An invitation joins only the account of the address it was sent to."""
    return bool(user.email) and user.email.strip().lower() == invitation.email.strip().lower()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> RunnerProfile:
    """Join the invitation's squad as `user` (who must hold the invited address), creating their
    runner profile if needed, and tell the coach who sent it."""
    if not invitation_is_for(invitation, user):
        raise PermissionDenied("This invitation was sent to another address.")
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_usable:
        raise InvitationUnavailable("This invitation has expired or was already used.")
    runner, _ = RunnerProfile.objects.get_or_create(
        user=user, defaults={"display_name": user.get_full_name() or user.username}
    )
    Membership.objects.get_or_create(squad=locked.squad, runner=runner)
    locked.accepted_at = timezone.now()
    locked.accepted_by = runner
    locked.save(update_fields=["accepted_at", "accepted_by"])
    coach = locked.invited_by
    if coach is not None and coach.email:
        transaction.on_commit(lambda: send_mail(
            subject=f"{runner.display_name} joined {locked.squad.name}",
            message=(f"{runner.display_name} ({user.username}) accepted your invitation to "
                     f"{locked.email} and joined {locked.squad.name} on StrideSite."),
            from_email=None, recipient_list=[coach.email]))
    return runner


@transaction.atomic
def runner_signup(*, username: str, email: str, password: str, display_name: str,
                  height_cm: float) -> RunnerProfile:
    user = get_user_model().objects.create_user(username=username, email=email, password=password)
    return RunnerProfile.objects.create(user=user, display_name=display_name, height_cm=height_cm)


@transaction.atomic
def membership_remove(*, squad: Squad, runner: RunnerProfile) -> None:
    """Take a runner out of a squad; leggings of that squad's coaches go back unassigned."""
    Membership.objects.filter(squad=squad, runner=runner).delete()
    still_coached_by = set(
        Squad.objects.filter(members=runner).values_list("coaches", flat=True)
    )
    Leggings.objects.filter(runner=runner).exclude(owner__in=still_coached_by).update(runner=None)
    transaction.on_commit(lambda: _recheck_live_viewers(runner))


def _recheck_live_viewers(runner: RunnerProfile) -> None:
    """Live sockets check access at subscribe time: ask them to re-check now."""
    async_to_sync(get_channel_layer().group_send)(
        runner_group(runner.pk), {"type": "access.revoked", "kind": "runner", "id": runner.pk}
    )


def announce_zones(runner: RunnerProfile) -> None:
    """Tell every live board and close-up watching the runner her zones as they now stand: the
    bands are redrawn at once (the live engine takes them from the next stride on)."""
    message = {"type": "live.zones", "runner": runner.pk, "zones": zone_table_for(runner).as_json()}
    layer = get_channel_layer()
    for group in [runner_group(runner.pk), *map(squad_group, runner.squads.values_list("pk", flat=True))]:
        async_to_sync(layer.group_send)(group, message)


def leggings_assign(*, leggings: Leggings, runner: RunnerProfile | None) -> None:
    leggings.runner = runner
    leggings.save(update_fields=["runner"])
