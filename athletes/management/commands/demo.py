"""Set up and serve the demo: migrations, the demo squad, a simulated squad streaming, daphne."""

from __future__ import annotations

import os
import subprocess
import sys

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from athletes.management.commands.demo_data import demo_secret
from athletes.models import Squad


class Command(BaseCommand):
    help = "Migrate, create the demo squad, stream 8 virtual runners into it and serve with daphne."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--runners", type=int, default=8)
        parser.add_argument("--no-stream", action="store_true", help="serve without virtual runners")

    def handle(self, *args, host: str, port: int, runners: int, no_stream: bool, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("demo_data")
        # The background worker: uploaded recordings are analysed there, not in the request.
        worker = subprocess.Popen([sys.executable, str(settings.BASE_DIR / "manage.py"), "run_huey"])  # noqa: S603
        agent = None
        if not no_stream:
            agent = subprocess.Popen(  # noqa: S603 — our own agent, with virtual leggings instead of BLE
                [sys.executable, "-m", "ingest.agent", "simulate", "--server", f"ws://{host}:{port}",
                 "--runners", str(runners), "--quiet", "--connect-timeout", "120",
                 "--spool", str(settings.VAR_DIR / "demo-agent-spool.sqlite3")],
                env={**os.environ, "STRIDESITE_TOKEN": demo_secret("demo-station-token")},
            )
            self.stdout.write(f"Streaming {runners} virtual runners into the demo squad.\n")
        board = Squad.objects.get(name="Demo squad", coaches__username="coach").pk
        self.stdout.write(f"Open http://{host}:{port}/live/squad/{board}/ (the live board) and log in as "
                          f"the coach above.\n")
        try:
            CommandLineInterface().run(["-b", host, "-p", str(port), "stridesite.asgi:application"])
        finally:
            worker.terminate()
            if agent is not None:
                agent.terminate()
