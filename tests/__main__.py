"""Run the whole test suite: `python -m tests [pytest args]`.

Installs Debian's Chromium for the real-browser tests when it is missing and we can
(root with apt-get); otherwise those tests skip and the summary says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

CHROMIUM = "/usr/bin/chromium"


def ensure_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("Chromium missing and not root with apt-get: browser tests will be skipped.")
        return
    print("Installing Debian's chromium for the browser tests…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, check=False)


if __name__ == "__main__":
    ensure_chromium()
    sys.exit(pytest.main(sys.argv[1:]))
