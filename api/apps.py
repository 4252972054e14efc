from django.apps import AppConfig


class ApiConfig(AppConfig):
    """A small read-only JSON API (django-ninja) with personal access tokens (SPEC §8)."""

    name = "api"
    default_auto_field = "django.db.models.BigAutoField"
