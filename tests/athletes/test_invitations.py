"""A coach invites by email; the runner accepts with a new or an existing account."""

import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from athletes.models import Invitation, RunnerProfile
from tests.factories import PASSWORD


def _invite(client, squad, email="new@example.com") -> str:
    client.post(reverse("squad_invite", args=[squad.pk]), {"email": email})
    (message,) = mail.outbox
    assert message.to == [email]
    return re.search(r"http://testserver(/invite/\S+/)", message.body).group(1)


def test_a_new_runner_signs_up_through_the_link(world, login, client):
    link = _invite(login(world.coach_a), world.squad_a)
    client.logout()
    assert "Create your runner account" in client.get(link).text
    response = client.post(link, {
        "username": "newbie", "email": "new@example.com", "display_name": "Newbie",
        "height_cm": 170, "password": PASSWORD,
    })
    assert response.status_code == 302
    newbie = RunnerProfile.objects.get(display_name="Newbie")
    assert world.squad_a.members.filter(pk=newbie.pk).exists()
    assert client.get(reverse("runner_home")).status_code == 200


def test_an_existing_runner_joins_with_their_account(world, login):
    client = login(world.coach_a)
    link = _invite(client, world.squad_a, world.bea.user.email)
    client.force_login(world.bea.user)
    client.post(link)
    assert world.squad_a.members.filter(pk=world.bea.pk).exists()
    assert world.squad_b.members.filter(pk=world.bea.pk).exists()


def test_a_link_works_once(world, login):
    client = login(world.coach_a)
    link = _invite(client, world.squad_a)
    client.force_login(world.bea.user)
    client.post(link)
    client.force_login(world.bruno.user)
    assert client.post(link).status_code == 410
    assert not world.squad_a.members.filter(pk=world.bruno.pk).exists()


def test_an_expired_invitation_is_refused(world, login):
    client = login(world.coach_a)
    link = _invite(client, world.squad_a)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(world.bea.user)
    assert client.get(link).status_code == 410
    assert client.post(link).status_code == 410
    assert not world.squad_a.members.filter(pk=world.bea.pk).exists()


def test_a_made_up_token_is_refused(client, world):
    assert client.get(reverse("invitation_accept", args=["made-up"])).status_code == 410


def test_a_bad_signup_form_keeps_the_invitation_usable(world, login, client):
    link = _invite(login(world.coach_a), world.squad_a)
    client.logout()
    response = client.post(link, {"username": "x", "email": "bad", "display_name": "",
                                  "height_cm": 10, "password": "1"})
    assert response.status_code == 200 and "errorlist" in response.text
    assert Invitation.objects.pending().count() == 1
    assert world.squad_a.members.count() == 2


def test_a_coach_withdraws_a_pending_invitation(world, login):
    client = login(world.coach_a)
    _invite(client, world.squad_a)
    invitation = Invitation.objects.get()
    client.post(reverse("invitation_cancel", args=[world.squad_a.pk, invitation.pk]))
    assert not Invitation.objects.exists()


def test_another_coach_cannot_withdraw_it(world, login):
    _invite(login(world.coach_a), world.squad_a)
    invitation = Invitation.objects.get()
    client = login(world.coach_b)
    url = reverse("invitation_cancel", args=[world.squad_a.pk, invitation.pk])
    assert client.post(url).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()
