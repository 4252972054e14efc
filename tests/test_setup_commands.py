"""The operator's setup commands (README Scale-out): the first coach, and a station token."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from athletes.models import Coach
from ingest.models import IngestStation
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _create_coach(monkeypatch, password: str, *args: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("create_coach", *args, stdout=out)
    return out.getvalue()


def test_create_coach_makes_a_coach_who_can_log_in(monkeypatch):
    assert "coach anna created" in _create_coach(monkeypatch, "long enough and odd 4711", "anna")
    user = get_user_model().objects.get(username="anna")
    assert user.check_password("long enough and odd 4711") and Coach.objects.filter(user=user).exists()


def test_create_coach_refuses_a_weak_password_or_a_taken_name_and_creates_nothing(monkeypatch):
    with pytest.raises(CommandError, match="too short|too common"):
        _create_coach(monkeypatch, "abc", "anna")
    make_user("bert")
    with pytest.raises(CommandError, match="exists already"):
        _create_coach(monkeypatch, "long enough and odd 4711", "bert")
    assert not Coach.objects.exists()


def test_create_station_prints_a_token_that_authenticates_only_that_station(world):
    out = io.StringIO()
    call_command("create_station", "Back straight", "--coach", world.coach_a.username, stdout=out)
    token = out.getvalue().split("token: ")[1].split()[0]
    station = IngestStation.objects.for_token(token)
    assert station.name == "Back straight" and station.coach == world.coach_a
    assert token not in station.token_hash


def test_create_station_refuses_a_runner_or_an_unknown_user(world):
    for username in (world.alice.user.username, "nobody"):
        with pytest.raises(CommandError, match="no coach"):
            call_command("create_station", "X", "--coach", username, stdout=io.StringIO())
    assert not IngestStation.objects.filter(name="X").exists()
