#!/usr/bin/env python
"""Django's command-line utility for StrideSite."""

import os
import sys

# Commands that only ever run a local demo or read a file opt into development mode (DEBUG and a
# key generated for this checkout); everything else runs safe unless DEBUG=1 is set.
DEVELOPMENT_COMMANDS = {"demo", "demo_data", "analyze"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stridesite.settings")
    if len(sys.argv) > 1 and sys.argv[1] in DEVELOPMENT_COMMANDS:
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
