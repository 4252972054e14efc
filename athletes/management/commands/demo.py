"""Set up and serve the demo: migrations, the demo squad, daphne on 127.0.0.1:8000."""

from __future__ import annotations

from daphne.cli import CommandLineInterface
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, create the demo squad and serve StrideSite with daphne."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("demo_data")
        self.stdout.write(f"Open http://{host}:{port}/ and log in as the coach above.\n")
        CommandLineInterface().run(["-b", host, "-p", str(port), "stridesite.asgi:application"])
