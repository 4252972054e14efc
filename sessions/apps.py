from django.apps import AppConfig


class RunSessionsConfig(AppConfig):
    """Run sessions. Labelled `runs`: `django.contrib.sessions` owns the label `sessions`."""

    name = "sessions"
    label = "runs"
    verbose_name = "Run sessions"
