"""Security events are recorded once each; a coach reads his squads' log, staff read all."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import make_user

Kind = AuditEvent.Kind


def _kinds() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("kind", flat=True))


def test_a_coachs_actions_are_logged_with_squad_actor_and_target(world, login):
    client = login(world.coach_a)
    squad = world.squad_a.pk
    client.post(reverse("station_create", args=[squad]), {"name": "Track A"})
    client.post(reverse("squad_invite", args=[squad]), {"email": "new@example.com"})
    client.post(reverse("runner_zones", args=[world.alice.pk]),
                {"band": "tempo", "metric": "kickback", "low": 108, "high": 127})
    client.post(reverse("squad_remove_runner", args=[squad, world.arno.pk]))
    assert _kinds() == [Kind.STATION_CREATED, Kind.INVITATION_SENT, Kind.ZONES_CHANGED, Kind.RUNNER_REMOVED]
    assert all(e.actor == world.coach_a and e.squad_id == squad for e in AuditEvent.objects.all())
    assert AuditEvent.objects.get(kind=Kind.ZONES_CHANGED).target == "Alice: kickback tempo 108–127"


def test_a_runner_deleting_a_session_and_failed_logins_are_logged(world, login, client):
    login(world.alice.user).post(reverse("session_delete", args=[world.session_alice.pk]))
    client.logout()
    client.post(reverse("login"), {"username": "alice", "password": "not-it"})
    assert _kinds() == [Kind.SESSION_DELETED, Kind.LOGIN_FAILED]
    failed = AuditEvent.objects.get(kind=Kind.LOGIN_FAILED)
    assert failed.target == "alice" and failed.actor is None and failed.ip == "127.0.0.1"


def test_a_coach_reads_his_squads_log_and_not_another_coachs(world, login):
    login(world.coach_a).post(reverse("squad_invite", args=[world.squad_a.pk]), {"email": "a@example.com"})
    login(world.coach_b).post(reverse("squad_invite", args=[world.squad_b.pk]), {"email": "b@example.com"})
    page_a = login(world.coach_a).get(reverse("audit_log")).text.split('<table id="audit">')[1]
    assert "a@example.com" in page_a and "b@example.com" not in page_a
    assert login(world.alice.user).get(reverse("audit_log")).status_code == 403


@pytest.mark.django_db
def test_staff_see_every_event_in_the_admin_and_cannot_edit_them(client, world):
    AuditEvent.objects.create(kind=Kind.TOKEN_REVOKED, target="station X")
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert "station X" in client.get("/admin/audit/auditevent/").text
    event = AuditEvent.objects.get()
    assert client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"target": "edited"}).status_code == 403
    assert AuditEvent.objects.get().target == "station X"
