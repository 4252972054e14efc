"""`manage.py create_station --coach USERNAME NAME`: an ingest station and its token, shown once.

The same as "New station" on a squad page; for a headless setup (a trackside Pi provisioned
by script). The token is printed once; only its hash is stored.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ingest.models import IngestStation
from stridesite.permissions import is_coach


class Command(BaseCommand):
    help = "Create an ingest station for a coach and print its token (once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help='e.g. "Back straight"')
        parser.add_argument("--coach", required=True, help="the coach's username")

    def handle(self, *args, name: str, coach: str, **options) -> None:
        user = get_user_model().objects.filter(username=coach).first()
        if user is None or not is_coach(user):
            raise CommandError(f"no coach {coach!r}")
        if not name.strip() or len(name) > IngestStation._meta.get_field("name").max_length:
            raise CommandError("give the station a name of at most 80 characters")
        station, token = IngestStation.new(name=name.strip(), coach=user)
        self.stdout.write(f"station {station.name!r} (id {station.pk}) token: {token}\n"
                          "shown once: give it to the agent (STRIDESITE_TOKEN); revoke it on the squad page")
