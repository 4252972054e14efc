from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.factories import (
    make_coach,
    make_leggings,
    make_runner,
    make_session,
    make_squad,
    make_uploaded_session,
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    """Two coaches with one squad each, two runners in each squad, a session each.

    Coach A: squad A (alice, arno). Coach B: squad B (bea, bruno).
    """
    coach_a, coach_b = make_coach("coach_a"), make_coach("coach_b")
    alice, arno = make_runner("Alice"), make_runner("Arno")
    bea, bruno = make_runner("Bea"), make_runner("Bruno")
    squad_a = make_squad(coach_a, alice, arno, name="Squad A")
    squad_b = make_squad(coach_b, bea, bruno, name="Squad B")
    return SimpleNamespace(
        coach_a=coach_a, coach_b=coach_b, alice=alice, arno=arno, bea=bea, bruno=bruno,
        squad_a=squad_a, squad_b=squad_b,
        leggings_a=make_leggings(coach_a, alice), leggings_b=make_leggings(coach_b, bea),
        session_alice=make_session(alice), session_bea=make_session(bea),
    )


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def uploaded(world):
    """Alice's uploaded session (`recording_csv`), strides and all, noted "track"."""
    return make_uploaded_session(world.alice, notes="track")
