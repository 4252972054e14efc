"""Guessing passwords and flooding reset mails is throttled (django-axes; a cache counter for resets)."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def fresh_throttles():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(world, client):
    username = world.alice.user.username
    for _ in range(5):
        response = client.post(reverse("login"), {"username": username, "password": "wrong-guess"})
        assert response.status_code in (200, 429)
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert "too many" in response.content.decode().lower()


def test_a_right_password_after_a_typo_or_two_still_works(world, client):
    username = world.alice.user.username
    for _ in range(2):
        client.post(reverse("login"), {"username": username, "password": "typo"})
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(world.alice.user.pk)


def test_reset_mails_to_one_address_are_capped(world, client):
    for _ in range(21):
        response = client.post(reverse("password_reset"), {"email": world.alice.user.email})
        assert response.status_code == 302  # the same answer every time: nothing to learn from it
    assert len(mail.outbox) == 3
