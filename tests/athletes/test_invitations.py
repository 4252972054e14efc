"""A coach invites by email; the runner accepts with a new or an existing account."""

import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from athletes.models import Invitation, Membership, RunnerProfile
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
    link = _invite(client, world.squad_a, world.bea.user.email)
    client.force_login(world.bea.user)
    client.post(link)
    assert client.post(link).status_code == 410
    assert Membership.objects.filter(squad=world.squad_a, runner=world.bea).count() == 1


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


def test_an_invitation_is_for_its_email_only(world, login):
    """Whoever holds the link cannot join with another account: not another runner, not a coach."""
    client = login(world.coach_a)
    link = _invite(client, world.squad_a, world.bea.user.email)
    for intruder in (world.bruno.user, world.coach_b):
        client.force_login(intruder)
        page = client.get(link)
        assert page.status_code == 403 and "was sent to another address" in page.text
        assert client.post(link).status_code == 403
    assert not world.squad_a.members.filter(pk=world.bruno.pk).exists()
    assert not RunnerProfile.objects.filter(user=world.coach_b).exists()
    assert Invitation.objects.get().is_usable  # still there for Bea


def test_signing_up_through_a_link_takes_the_invited_address(world, login, client):
    link = _invite(login(world.coach_a), world.squad_a)
    client.logout()
    client.post(link, {"username": "sly", "email": "sly@elsewhere.example", "display_name": "Sly",
                       "height_cm": 170, "password": PASSWORD})
    assert RunnerProfile.objects.get(display_name="Sly").user.email == "new@example.com"


def test_the_coach_hears_who_joined(world, login, django_capture_on_commit_callbacks):
    client = login(world.coach_a)
    link = _invite(client, world.squad_a, world.bea.user.email)
    mail.outbox.clear()
    client.force_login(world.bea.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link)
    (message,) = mail.outbox
    assert message.to == [world.coach_a.email] and "Bea" in message.body and "Squad A" in message.subject


def test_a_link_accepted_meanwhile_gets_a_clear_page_not_an_error(world, login, monkeypatch):
    """Two tabs accept at once: the second finds the invitation used between its check and its
    write (here the first accept is slipped in just before the write)."""
    from athletes import services

    client = login(world.coach_a)
    link = _invite(client, world.squad_a, world.bea.user.email)
    real = services.invitation_accept

    def race(*, invitation, user):
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
        return real(invitation=invitation, user=user)

    monkeypatch.setattr(services, "invitation_accept", race)
    client.force_login(world.bea.user)
    response = client.post(link)
    assert response.status_code == 410 and "can no longer be used" in response.text


def test_when_the_mail_server_cannot_be_reached_the_coach_gets_the_link_to_pass_on(world, login, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    client = login(world.coach_a)
    page = client.post(reverse("squad_invite", args=[world.squad_a.pk]), {"email": "new@example.com"},
                       follow=True).text
    assert "could not be sent" in page
    link = re.search(r"http://testserver(/invite/[\w-]+/)", page).group(1)
    assert Invitation.objects.get(email="new@example.com").is_usable
    client.logout()
    assert "Create your runner account" in client.get(link).text
