"""Loaded by pytest before Django (pyproject: `-p tests.devmode`): the suite runs the development
configuration unless the environment says otherwise; tests that need production settings set them."""

import os

os.environ.setdefault("DEBUG", "1")
