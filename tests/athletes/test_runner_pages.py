"""Runner pages: own data visible, others' data not found."""

import pytest
from django.urls import reverse

from athletes.models import Membership


def test_home_sends_a_runner_to_their_sessions(world, login):
    client = login(world.alice.user)
    assert client.get("/").url == reverse("runner_home")
    page = client.get(reverse("runner_home"))
    assert page.status_code == 200
    assert reverse("session_detail", args=[world.session_alice.pk]) in page.text
    assert reverse("session_detail", args=[world.session_bea.pk]) not in page.text


def test_runner_sessions_are_listed_newest_first(world, login):
    from tests.factories import make_session

    newer = make_session(world.alice, minutes_ago=5)
    page = login(world.alice.user).get(reverse("runner_home")).text
    newer_at = page.index(reverse("session_detail", args=[newer.pk]))
    older_at = page.index(reverse("session_detail", args=[world.session_alice.pk]))
    assert newer_at < older_at


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("runner_home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["arno", "bea"])
def test_a_runner_cannot_open_another_runner_by_guessing_ids(world, login, who):
    other = getattr(world, who)
    client = login(world.alice.user)
    assert client.get(reverse("runner_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("runner_detail", args=[world.alice.pk])).status_code == 200


def test_a_runner_cannot_open_coach_pages(world, login):
    client = login(world.alice.user)
    assert client.get(reverse("coach_home")).status_code == 403
    assert client.get(reverse("squad_detail", args=[world.squad_a.pk])).status_code == 403


def test_a_runner_leaves_a_squad(world, login):
    response = login(world.alice.user).post(reverse("squad_leave", args=[world.squad_a.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(squad=world.squad_a, runner=world.alice).exists()
    world.leggings_a.refresh_from_db()
    assert world.leggings_a.runner is None


def test_a_runner_cannot_leave_a_squad_they_are_not_in(world, login):
    response = login(world.alice.user).post(reverse("squad_leave", args=[world.squad_b.pk]))
    assert response.status_code == 404
    assert world.squad_b.members.count() == 2


def test_a_runner_edits_their_profile_and_bad_values_are_refused(world, login):
    client = login(world.alice.user)
    url = reverse("profile_edit")
    bad = client.post(url, {"display_name": "Alice", "height_cm": 20})
    assert bad.status_code == 200 and "errorlist" in bad.text
    world.alice.refresh_from_db()
    assert world.alice.height_cm == 175
    client.post(url, {"display_name": "Alice", "height_cm": 180, "thigh_cm": 45})
    world.alice.refresh_from_db()
    assert world.alice.thigh_m == pytest.approx(0.45)
    assert world.alice.shank_m == pytest.approx(0.246 * 1.80)
