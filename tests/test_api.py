"""The read-only JSON API: personal tokens made and revoked on their page, SPEC §8 through a
token (its owner's reads, nothing more), pagination, and an OpenAPI document that validates."""


from django.test import Client
from django.urls import reverse
from openapi_spec_validator import validate

from api.models import PersonalToken


def _bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_a_token_is_made_shown_once_used_and_revoked(world, login, uploaded):
    client = login(world.alice.user)
    page = client.post(reverse("api_tokens"), {"name": "notebook"}).text
    token = page.split('id="token-value">')[1].split("<")[0]
    assert token.startswith("sst_") and token not in client.get(reverse("api_tokens")).text  # shown once
    row = PersonalToken.objects.get(user=world.alice.user)
    assert row.key_digest != token and token not in row.key_digest  # only its digest is stored
    body = _bearer(token).get("/api/v1/sessions").json()
    assert uploaded.pk in [s["id"] for s in body["items"]]
    row.refresh_from_db()
    assert row.last_used_at is not None
    client.post(reverse("api_token_revoke", args=[row.pk]))
    assert _bearer(token).get("/api/v1/sessions").status_code == 401


def test_a_token_reads_what_its_owner_may_read_and_nothing_more(world, uploaded):
    _, alice = PersonalToken.issue(world.alice.user, "a")
    _, arno = PersonalToken.issue(world.arno.user, "b")
    _, coach_a = PersonalToken.issue(world.coach_a, "c")
    _, coach_b = PersonalToken.issue(world.coach_b, "d")
    detail, strides = f"/api/v1/sessions/{uploaded.pk}", f"/api/v1/sessions/{uploaded.pk}/strides"
    for token in (alice, coach_a):
        body = _bearer(token).get(detail).json()
        assert body["summary"]["strides"] > 20
        assert (body["id"], body["runner_id"], body["source"]) == (uploaded.pk, world.alice.pk, "upload")
        assert body["duration_s"] > 0
        assert _bearer(token).get(strides).json()["count"] == uploaded.strides.count()
    for token in (arno, coach_b):  # another runner of her squad; a coach not of her squads
        assert _bearer(token).get(detail).status_code == 404
        assert _bearer(token).get(strides).status_code == 404
        assert uploaded.pk not in [s["id"] for s in _bearer(token).get("/api/v1/sessions").json()["items"]]
    assert {r["name"] for r in _bearer(coach_a).get("/api/v1/runners").json()["items"]} == {"Alice", "Arno"}
    assert [r["name"] for r in _bearer(alice).get("/api/v1/runners").json()["items"]] == ["Alice"]
    for headers in ({}, {"Authorization": "Bearer sst_forged"}, {"Authorization": f"Token {alice}"}):
        assert Client(headers=headers).get(detail).status_code == 401


def test_the_api_reads_only(world, uploaded):
    _, token = PersonalToken.issue(world.alice.user, "a")
    for method in ("post", "put", "delete"):
        assert getattr(_bearer(token), method)(f"/api/v1/sessions/{uploaded.pk}").status_code == 405
    assert uploaded.strides.exists()


def test_strides_are_paginated_with_their_quality(world, uploaded):
    _, token = PersonalToken.issue(world.alice.user, "a")
    url = f"/api/v1/sessions/{uploaded.pk}/strides"
    first = _bearer(token).get(url, {"limit": 10}).json()
    second = _bearer(token).get(url, {"limit": 10, "offset": 10}).json()
    assert len(first["items"]) == len(second["items"]) == 10 and first["count"] > 20
    assert first["items"][-1]["t_start"] <= second["items"][0]["t_start"]
    assert _bearer(token).get(url, {"limit": 5000}).status_code == 422  # pages of at most 1,000
    stride = first["items"][0]
    assert set(stride["quality"]) >= {"missing_pct", "longest_gap_ms", "kickback_uncertainty_deg", "low"}


def test_the_openapi_document_is_served_and_validates(client):
    schema = client.get("/api/v1/openapi.json").json()
    validate(schema)
    paths = {"/api/v1/sessions", "/api/v1/sessions/{session_id}/strides", "/api/v1/runners"}
    assert paths <= set(schema["paths"])


def test_only_the_owner_sees_and_revokes_a_token(world, login):
    row, _ = PersonalToken.issue(world.alice.user, "alice's notebook")
    assert Client().get(reverse("api_tokens")).status_code == 302  # anonymous: to the login page
    other = login(world.coach_a)  # her coach
    assert "alice's notebook" not in other.get(reverse("api_tokens")).text
    assert other.post(reverse("api_token_revoke", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None


def test_a_user_holds_a_bounded_number_of_live_tokens(world, login, monkeypatch):
    from api import views

    monkeypatch.setattr(views, "LIVE_TOKENS", 2)
    client = login(world.alice.user)
    for name in ("one", "two"):
        assert "token-value" in client.post(reverse("api_tokens"), {"name": name}).text
    refused = client.post(reverse("api_tokens"), {"name": "three"})
    assert refused.status_code == 400 and "token-value" not in refused.text
    assert PersonalToken.objects.filter(user=world.alice.user).count() == 2
    client.post(reverse("api_token_revoke", args=[PersonalToken.objects.get(name="one").pk]))
    assert "token-value" in client.post(reverse("api_tokens"), {"name": "three"}).text


def test_making_and_revoking_tokens_in_a_loop_stops_at_the_daily_bound(world, login, monkeypatch):
    from api import views

    monkeypatch.setattr(views, "MADE_A_DAY", 3)
    client = login(world.alice.user)
    for name in ("a", "b", "c"):
        assert "token-value" in client.post(reverse("api_tokens"), {"name": name}).text
        client.post(reverse("api_token_revoke", args=[PersonalToken.objects.get(name=name).pk]))
    refused = client.post(reverse("api_tokens"), {"name": "d"})
    assert refused.status_code == 400 and "new tokens a day" in refused.text
    assert PersonalToken.objects.filter(user=world.alice.user).count() == 3
