"""`manage.py create_coach USERNAME [--email E]`: the first coach of an installation (or another).

The password is asked for twice on a terminal, or read as one line from standard input
(`… < file`), and checked against the installation's password rules. Never on the command line.
"""

from __future__ import annotations

import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from athletes.models import Coach


class Command(BaseCommand):
    help = "Create a coach account (asks for its password)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")

    def handle(self, *args, username: str, email: str, **options) -> None:
        users = get_user_model()
        if users.objects.filter(username=username).exists():
            raise CommandError(f"a user {username!r} exists already")
        password = self._password()
        user = users(username=username, email=email)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        with transaction.atomic():
            user.set_password(password)
            user.save()
            Coach.objects.create(user=user)
        self.stdout.write(f"coach {username} created: log in, create a squad, then a station for the agent")

    @staticmethod
    def _password() -> str:
        if not sys.stdin.isatty():
            return sys.stdin.readline().rstrip("\n")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            raise CommandError("the passwords differ")
        return password
