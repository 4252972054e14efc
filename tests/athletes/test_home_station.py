"""A runner's own leggings and home station (SPEC §8: "own leggings and home station"): she
registers a pair and makes a station whose token is shown once and writes her leggings only;
nobody else manages them."""

import pytest

from ingest.models import IngestStation, Leggings
from stridesite.permissions import station_leggings
from tests.factories import make_coach

pytestmark = pytest.mark.django_db
PAIR = {"serial": "HOME-0001", "ble_name": "StrideSite-H001", "ble_address": "aa:bb:cc:dd:ee:01"}


def test_a_runner_registers_her_leggings_and_makes_a_home_station_for_them(world, login):
    client = login(world.alice.user)
    assert client.post("/me/leggings/", PAIR).status_code == 302
    pair = Leggings.objects.get(serial="HOME-0001")
    assert (pair.owner, pair.runner, pair.ble_address) == (world.alice.user, world.alice, "AA:BB:CC:DD:EE:01")
    page = client.post("/me/station/").content.decode()
    station = IngestStation.objects.get(coach=world.alice.user)
    token = page.split('id="new-token">')[1].split("<")[0]
    assert station.home and IngestStation.objects.for_token(token) == station
    assert token not in client.get("/me/leggings/").content.decode()  # shown once
    assert list(station_leggings(station)) == [pair]  # not the coach's leggings she wears


def test_a_new_home_token_revokes_the_old_and_revoking_stops_it(world, login):
    client = login(world.alice.user)
    first = client.post("/me/station/").content.decode().split('id="new-token">')[1].split("<")[0]
    second = client.post("/me/station/").content.decode().split('id="new-token">')[1].split("<")[0]
    assert IngestStation.objects.for_token(first) is None
    station = IngestStation.objects.for_token(second)
    assert client.post(f"/me/station/{station.pk}/revoke/").status_code == 302
    assert IngestStation.objects.for_token(second) is None


def test_nobody_else_revokes_a_home_station_or_sees_its_page(world, login, client):
    station, token = IngestStation.new(name="home", coach=world.alice.user)
    IngestStation.objects.filter(pk=station.pk).update(home=True)
    for user in (world.coach_a, world.arno.user):
        assert login(user).post(f"/me/station/{station.pk}/revoke/").status_code in (403, 404)
    assert IngestStation.objects.for_token(token) is not None
    client.logout()
    assert client.get("/me/leggings/").status_code == 302  # to the login page
    coach = login(make_coach())
    assert coach.get("/me/leggings/").status_code == 403  # no runner profile


def test_a_pair_someone_else_registered_first_does_not_block_hers(world, login):
    """Serials are printed and guessable: another account's registration of the same serial and
    address (squatting) must not lock the real owner out. Each owner's record is her own, her
    home station streams only hers, and her own second registration of a pair is refused."""
    squatter = login(world.arno.user)
    assert squatter.post("/me/leggings/", PAIR).status_code == 302
    client = login(world.alice.user)
    assert client.post("/me/leggings/", PAIR).status_code == 302
    hers = Leggings.objects.get(owner=world.alice.user)
    assert (hers.serial, hers.runner) == (PAIR["serial"], world.alice)
    station, _ = IngestStation.new(name="home", coach=world.alice.user)
    IngestStation.objects.filter(pk=station.pk).update(home=True)
    station.refresh_from_db()
    assert list(station_leggings(station)) == [hers]
    for field, message in (("serial", "this serial already"), ("ble_address", "this BLE address already")):
        again = {**PAIR, "serial": "HOME-0002", "ble_address": "AA:BB:CC:DD:EE:02", field: PAIR[field]}
        reply = client.post("/me/leggings/", again)
        assert reply.status_code == 400 and message in reply.content.decode()
        assert world.arno.user.username not in reply.content.decode()
    assert Leggings.objects.filter(owner=world.alice.user).count() == 1


def test_a_runner_makes_few_home_tokens_a_day_and_few_pairs(world, login, monkeypatch):
    from athletes import views
    from athletes.forms import LeggingsForm

    client = login(world.alice.user)
    for _ in range(views.HOME_STATIONS_A_DAY):
        assert client.post("/me/station/").status_code == 200
    refused = client.post("/me/station/")
    assert refused.status_code == 400 and "new-token" not in refused.content.decode()
    assert IngestStation.objects.filter(coach=world.alice.user).count() == views.HOME_STATIONS_A_DAY
    assert IngestStation.objects.filter(coach=world.alice.user).active().count() == 1  # the last one works

    monkeypatch.setattr(LeggingsForm, "MAX_PAIRS", 1)
    assert client.post("/me/leggings/", PAIR).status_code == 302
    second = client.post("/me/leggings/", {**PAIR, "serial": "HOME-0002", "ble_address": "AA:BB:CC:DD:EE:02"})
    assert second.status_code == 400 and "at most 1 pairs" in second.content.decode()
    assert Leggings.objects.filter(owner=world.alice.user).count() == 1
