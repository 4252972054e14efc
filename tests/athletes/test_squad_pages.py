"""Coach pages: full control of own squads, nothing of others'."""

import pytest
from django.core import mail
from django.urls import reverse

from athletes.models import Invitation, Membership, Squad
from audit.models import AuditEvent
from ingest.models import IngestStation, Leggings
from tests.factories import make_leggings

NEW_PAIR = {"serial": "SS-NEW-0001", "ble_name": "StrideSite-0001", "ble_address": "c4:11:22:33:44:55"}


def test_coach_home_lists_own_squads_only(world, login):
    page = login(world.coach_a).get(reverse("coach_home")).text
    assert "Squad A" in page and "Squad B" not in page


def test_coach_creates_a_squad_and_coaches_it(world, login):
    login(world.coach_a).post(reverse("coach_home"), {"name": "Sprinters"})
    assert list(Squad.objects.get(name="Sprinters").coaches.all()) == [world.coach_a]


def test_squad_page_shows_members(world, login):
    page = login(world.coach_a).get(reverse("squad_detail", args=[world.squad_a.pk])).text
    assert "Alice" in page and "Arno" in page and "Bea" not in page


@pytest.mark.parametrize(
    "name,args",
    [
        ("squad_detail", lambda w: [w.squad_b.pk]),
        ("squad_invite", lambda w: [w.squad_b.pk]),
        ("squad_remove_runner", lambda w: [w.squad_b.pk, w.bea.pk]),
        ("squad_assign_leggings", lambda w: [w.squad_b.pk]),
        ("squad_register_leggings", lambda w: [w.squad_b.pk]),
        ("station_create", lambda w: [w.squad_b.pk]),
    ],
)
def test_a_coach_cannot_touch_another_coachs_squad(world, login, name, args):
    client = login(world.coach_a)
    url = reverse(name, args=args(world))
    post = {"email": "x@example.com", "name": "Sneaky", "leggings": world.leggings_a.pk,
            "runner": world.bea.pk, **NEW_PAIR}
    response = client.post(url, post) if name != "squad_detail" else client.get(url)
    assert response.status_code == 404
    assert world.squad_b.members.count() == 2
    assert not Invitation.objects.exists()
    assert not IngestStation.objects.filter(name="Sneaky").exists()
    assert not Leggings.objects.filter(serial=NEW_PAIR["serial"]).exists()
    world.leggings_a.refresh_from_db()
    assert world.leggings_a.runner == world.alice
    assert not mail.outbox


def test_coach_removes_a_runner(world, login):
    login(world.coach_a).post(reverse("squad_remove_runner", args=[world.squad_a.pk, world.arno.pk]))
    assert not Membership.objects.filter(squad=world.squad_a, runner=world.arno).exists()


def test_coach_cannot_remove_a_runner_of_another_squad_through_own_squad(world, login):
    url = reverse("squad_remove_runner", args=[world.squad_a.pk, world.bea.pk])
    assert login(world.coach_a).post(url).status_code == 404
    assert world.squad_b.members.filter(pk=world.bea.pk).exists()


def test_coach_registers_a_pair_from_its_box_and_hands_it_to_a_squad_runner(world, login):
    reply = login(world.coach_a).post(
        reverse("squad_register_leggings", args=[world.squad_a.pk]), {**NEW_PAIR, "runner": world.arno.pk})
    assert reply.status_code == 302
    pair = Leggings.objects.get(serial=NEW_PAIR["serial"])
    assert (pair.owner, pair.runner, pair.ble_address) == (world.coach_a, world.arno, "C4:11:22:33:44:55")
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LEGGINGS_REGISTERED, squad=world.squad_a).exists()


@pytest.mark.parametrize("change", [
    {"runner": "bea"},  # not a runner of this squad
    {"serial": "taken"},
    {"ble_address": "not-an-address"},
    {"serial": ""},
])
def test_a_pair_that_cannot_be_registered_says_why_and_stores_nothing(world, login, change):
    data = {**NEW_PAIR, **change}
    if change.get("runner") == "bea":
        data["runner"] = world.bea.pk
    if change.get("serial") == "taken":  # by this coach already
        data["serial"] = world.leggings_a.serial
    reply = login(world.coach_a).post(reverse("squad_register_leggings", args=[world.squad_a.pk]), data)
    assert reply.status_code == 400 and "errorlist" in reply.text
    assert world.coach_b.username not in reply.text
    assert not Leggings.objects.filter(owner=world.coach_a).exclude(pk=world.leggings_a.pk).exists()


def test_another_coachs_registration_of_a_serial_does_not_block_this_coach(world, login):
    """A pair's serial registered first by someone else (squatting, or a club's second account)
    is this coach's to register too: each account's record streams to its own stations only."""
    data = {**NEW_PAIR, "serial": world.leggings_b.serial, "ble_address": world.leggings_b.ble_address}
    reply = login(world.coach_a).post(reverse("squad_register_leggings", args=[world.squad_a.pk]), data)
    assert reply.status_code == 302
    assert Leggings.objects.filter(serial=world.leggings_b.serial).count() == 2
    world.leggings_b.refresh_from_db()
    assert world.leggings_b.owner == world.coach_b  # the other record is untouched


def test_a_runner_cannot_register_leggings_for_a_squad(world, login):
    url = reverse("squad_register_leggings", args=[world.squad_a.pk])
    reply = login(world.alice.user).post(url, NEW_PAIR)
    assert reply.status_code in (403, 404)
    assert not Leggings.objects.filter(serial=NEW_PAIR["serial"]).exists()


def test_coach_assigns_own_leggings_to_a_squad_runner(world, login):
    spare = make_leggings(world.coach_a)
    login(world.coach_a).post(
        reverse("squad_assign_leggings", args=[world.squad_a.pk]),
        {"leggings": spare.pk, "runner": world.arno.pk},
    )
    spare.refresh_from_db()
    assert spare.runner == world.arno


def test_taking_leggings_from_the_runner_who_wears_them_asks_first(world, login):
    """leggings_a are Alice's: assigning them to Arno says so and changes nothing, until the coach
    saves the form it shows again (which now carries the confirmation)."""
    client = login(world.coach_a)
    url = reverse("squad_assign_leggings", args=[world.squad_a.pk])
    page = client.get(reverse("squad_detail", args=[world.squad_a.pk])).text
    assert f"{world.leggings_a.serial} — worn by Alice" in page
    response = client.post(url, {"leggings": world.leggings_a.pk, "runner": world.arno.pk})
    assert response.status_code == 400
    assert "is worn by Alice" in response.text and 'name="take" value="on"' in response.text
    world.leggings_a.refresh_from_db()
    assert world.leggings_a.runner == world.alice
    client.post(url, {"leggings": world.leggings_a.pk, "runner": world.arno.pk, "take": "on"})
    world.leggings_a.refresh_from_db()
    assert world.leggings_a.runner == world.arno


def test_coach_cannot_assign_another_coachs_leggings(world, login):
    response = login(world.coach_a).post(
        reverse("squad_assign_leggings", args=[world.squad_a.pk]),
        {"leggings": world.leggings_b.pk, "runner": world.arno.pk},
    )
    assert response.status_code == 400
    world.leggings_b.refresh_from_db()
    assert world.leggings_b.runner == world.bea


def test_coach_cannot_assign_leggings_to_a_runner_outside_the_squad(world, login):
    spare = make_leggings(world.coach_a)
    response = login(world.coach_a).post(
        reverse("squad_assign_leggings", args=[world.squad_a.pk]),
        {"leggings": spare.pk, "runner": world.bea.pk},
    )
    assert response.status_code == 400
    spare.refresh_from_db()
    assert spare.runner is None


def test_station_token_is_shown_once_and_stored_hashed(world, login):
    client = login(world.coach_a)
    page = client.post(reverse("station_create", args=[world.squad_a.pk]), {"name": "Track 1"}).text
    station = IngestStation.objects.get(name="Track 1")
    token = page.split('id="new-token">')[1].split("<")[0]
    assert IngestStation.objects.for_token(token) == station
    assert token not in station.token_hash
    again = client.get(reverse("squad_detail", args=[world.squad_a.pk])).text
    assert token not in again and station.token_hint in again


def test_coach_revokes_a_station_and_its_token_is_refused(world, login):
    from tests.factories import make_station

    station, token = make_station(world.coach_a)
    login(world.coach_a).post(reverse("station_revoke", args=[world.squad_a.pk, station.pk]))
    assert IngestStation.objects.for_token(token) is None


def test_coach_cannot_revoke_another_coachs_station(world, login):
    from tests.factories import make_station

    station, token = make_station(world.coach_b)
    url = reverse("station_revoke", args=[world.squad_a.pk, station.pk])
    assert login(world.coach_a).post(url).status_code == 404
    assert IngestStation.objects.for_token(token) == station


def test_invalid_invite_form_shows_error_and_sends_nothing(world, login):
    response = login(world.coach_a).post(
        reverse("squad_invite", args=[world.squad_a.pk]), {"email": "not-an-email"}
    )
    assert response.status_code == 400 and "errorlist" in response.text
    assert not mail.outbox and not Invitation.objects.exists()


@pytest.mark.parametrize("bound,revoke_each,refusal", [
    ("MAX_ACTIVE", False, "At most 2 stations at once"),  # live stations
    ("MADE_A_DAY", True, "At most 2 new stations a day"),  # a make-and-revoke loop
])
def test_a_coach_makes_a_bounded_number_of_stations(world, login, monkeypatch, bound, revoke_each, refusal):
    from athletes import forms

    monkeypatch.setattr(forms.StationForm if bound == "MAX_ACTIVE" else forms, bound, 2)
    client = login(world.coach_a)
    url = reverse("station_create", args=[world.squad_a.pk])
    for name in ("Track 1", "Track 2"):
        assert "new-token" in client.post(url, {"name": name}).text
        if revoke_each:
            IngestStation.objects.get(name=name).revoke()
    refused = client.post(url, {"name": "Track 3"})
    assert refused.status_code == 400 and refusal in refused.text
    assert IngestStation.objects.filter(coach=world.coach_a).count() == 2
    if not revoke_each:  # a revoked station frees its place
        IngestStation.objects.get(name="Track 1").revoke()
        assert "new-token" in client.post(url, {"name": "Track 3"}).text
