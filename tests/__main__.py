"""Run the whole test suite: `python -m tests [pytest args]`.

Installs Debian's Chromium (real-browser tests), dbus (the emulated-BlueZ tests) and Caddy (the
reference deployment's test) when they are missing and we can (root with apt-get); otherwise
those tests skip and the summary says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

PACKAGES = {"chromium": "/usr/bin/chromium", "dbus": "/usr/bin/dbus-daemon", "caddy": "/usr/bin/caddy"}


def ensure_system_packages() -> None:
    missing = [name for name, path in PACKAGES.items() if not os.path.exists(path)]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"{', '.join(missing)} missing and not root with apt-get: those tests will be skipped.")
        return
    print(f"Installing Debian's {' '.join(missing)} for the browser and BLE tests…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], env=env, check=False)


if __name__ == "__main__":
    ensure_system_packages()
    # In-process consumers run their queries on asgiref's worker threads, whose persistent
    # connections the test database teardown cannot close: no persistence in the test process
    # (servers started by the tests keep the production default, tests/ingest/live_server.py).
    os.environ.setdefault("DB_CONN_MAX_AGE", "0")
    sys.exit(pytest.main(sys.argv[1:]))
