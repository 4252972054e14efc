"""Settings from the environment, deploy checks, static files with no CDN, admin."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DB_CONN_MAX_AGE")}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=120,
    )


def test_deploy_check_is_clean_with_debug_off_and_real_secrets():
    result = _manage(
        "check", "--deploy", "--fail-level", "DEBUG",
        DEBUG="0", SECRET_KEY="k" * 20 + "a-real-secret-with-enough-entropy-9f8e7d6c5b4a",
        ALLOWED_HOSTS="stridesite.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_secret_key_fails_loudly():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("env,expected", [({}, "True True"), ({"SECURE_COOKIES": "0"}, "False False")])
def test_cookies_are_secure_in_production_unless_a_plain_http_trial_says_otherwise(env, expected):
    query = ("from django.conf import settings; "
             "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)")
    result = _manage("shell", "-c", query, DEBUG="0", SECRET_KEY="k" * 50, **env)
    assert result.stdout.strip().splitlines()[-1] == expected, result.stdout + result.stderr


@pytest.mark.parametrize("env,expected", [({}, "300"), ({"DB_CONN_MAX_AGE": "0"}, "0")])
def test_database_connections_persist_unless_told_otherwise(env, expected):
    query = "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    result = _manage("shell", "-c", query, DEBUG="1", **env)
    assert result.stdout.strip().splitlines()[-1] == expected, result.stdout + result.stderr


@pytest.mark.parametrize("env,expected", [
    ({}, "django.core.mail.backends.console.EmailBackend None None False"),
    ({"EMAIL_URL": "smtp+tls://club:pw@mail.club.example:587"},
     "django.core.mail.backends.smtp.EmailBackend mail.club.example 587 True"),
])
def test_mail_is_printed_until_the_club_names_its_mail_server(env, expected):
    query = ("from django.conf import settings; print(settings.EMAIL_BACKEND, "
             "getattr(settings, 'EMAIL_HOST', None) or None, settings.EMAIL_PORT, settings.EMAIL_USE_TLS)")
    result = _manage("shell", "-c", query, DEBUG="1", **env)
    assert result.stdout.strip().splitlines()[-1] == expected, result.stdout + result.stderr


@pytest.mark.django_db
def test_plotly_js_is_served_by_the_app(client):
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert len(body) > 1_000_000 and b"plotly" in body[:2000].lower()


@pytest.mark.django_db
def test_no_template_points_at_a_cdn():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert "https://" not in text and "//cdn" not in text, template


@pytest.mark.django_db
def test_admin_lists_every_model(client, world):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    for model in ("athletes/runnerprofile", "athletes/coach", "athletes/squad",
                  "athletes/membership", "athletes/invitation", "ingest/leggings",
                  "ingest/ingeststation", "runs/runsession", "metrics/striderecord",
                  "metrics/zoneoverride", "audit/auditevent"):
        assert client.get(f"/admin/{model}/").status_code == 200, model


@pytest.mark.django_db
def test_password_reset_sends_a_mail(client, world):
    from django.core import mail

    response = client.post(reverse("password_reset"), {"email": world.alice.user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body


@pytest.mark.django_db
def test_demo_data_is_idempotent():
    from django.core.management import call_command

    from athletes.models import RunnerProfile, Squad
    from ingest.models import IngestStation, Leggings

    call_command("demo_data")
    call_command("demo_data")
    squad = Squad.objects.get(name="Demo squad")
    assert squad.members.count() == 8
    assert RunnerProfile.objects.count() == 8 and Leggings.objects.filter(runner__isnull=False).count() == 8
    assert IngestStation.objects.count() == 1


def test_migrations_match_the_models():
    result = _manage("makemigrations", "--check", "--dry-run", DEBUG="1")
    assert result.returncode == 0, result.stdout


def test_with_nothing_set_it_refuses_to_start_rather_than_run_in_debug_mode():
    """Production never runs by default in DEBUG with a key everyone can read in the repository."""
    result = _manage("check")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_development_mode_uses_a_random_key_of_this_installation(tmp_path):
    """DEBUG=1 without SECRET_KEY: a key generated once for this checkout (var/), never a constant
    in the code — the demo logins and station token derive from it."""
    query = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = _manage("shell", "-c", query, DEBUG="1").stdout.strip().splitlines()[-1]
    again = _manage("shell", "-c", query, DEBUG="1").stdout.strip().splitlines()[-1]
    assert first == again and len(first) >= 50
    assert first not in (ROOT / "stridesite" / "settings.py").read_text()
    key_file = ROOT / "var" / "development-secret-key"
    assert key_file.read_text().strip() == first and oct(key_file.stat().st_mode)[-3:] == "600"


def test_the_demo_commands_opt_into_development_mode():
    result = _manage("demo_data", "--help")
    assert result.returncode == 0, result.stderr
