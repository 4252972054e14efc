"""A real daphne (and agent) as subprocesses, for end-to-end ingest tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from ingest.agent.virtual import demo_phases

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(db_path: Path, redis_url: str | None = None, database_url: str | None = None) -> dict:
    """A server's environment: development settings on the SQLite file `db_path` (or on
    `database_url`), with the in-memory layer or Redis."""
    env = {**os.environ, "DATABASE_URL": database_url or f"sqlite:///{db_path}", "DEBUG": "1",
           "DB_CONN_MAX_AGE": "300", "TASKS_IMMEDIATE": "0",
           "TASK_QUEUE_FILE": str(db_path.parent / "tasks.sqlite3")}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


class Demo(NamedTuple):
    token: str  # the demo station's
    password: str  # every demo login's


def prepare_demo(db_path: Path, runners: int = 8, database_url: str | None = None) -> Demo:
    """Migrate a fresh database and create the demo squad; returns what `demo_data` printed."""
    run = {"cwd": ROOT, "env": server_env(db_path, database_url=database_url), "check": True,
           "capture_output": True, "text": True}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], **run)
    out = subprocess.run([sys.executable, "manage.py", "demo_data", "--runners", str(runners)], **run).stdout
    return Demo(token=out.split("station token:")[1].split()[0],
                password=out.split("coach login:")[1].split("/")[1].split()[0])


PRODUCTION = {"DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "SECURE_COOKIES": "0",
              "STATIC_ROOT": str(Path.home() / ".cache" / "stridesite" / "bench-static")}


def start_server(db_path: Path, port: int, redis_url: str | None = None,
                 production: bool = False, database_url: str | None = None) -> subprocess.Popen:
    """daphne on the database file (or on `database_url`); `production`: DEBUG=0 (no query log,
    the settings a club runs; plain http, so no https redirect; the key the setup commands signed
    with, so their logins hold), its static files collected once into a cache folder."""
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "stridesite.asgi:application"],
        cwd=ROOT, env=_env(db_path, redis_url, production, database_url), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + (120 if production else 30)  # a first collection of static files
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("daphne did not start")


def start_worker(db_path: Path, redis_url: str | None = None, production: bool = False,
                 cpus: str | None = None) -> subprocess.Popen:
    """The background worker (`manage.py run_huey`) beside a server on the same database
    (`production` as for start_server; `cpus`: a taskset list to pin it to)."""
    pin = ["taskset", "-c", cpus] if cpus else []
    return subprocess.Popen([*pin, sys.executable, "manage.py", "run_huey"], cwd=ROOT,
                            env=_env(db_path, redis_url, production), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _env(db_path: Path, redis_url: str | None, production: bool, database_url: str | None = None) -> dict:
    env = server_env(db_path, redis_url, database_url)
    if production:
        key = os.environ.get("SECRET_KEY") or (ROOT / "var" / "development-secret-key").read_text().strip()
        env |= PRODUCTION | {"SECRET_KEY": key}
    return env


def start_agent(port: int | list[int], token: str, spool: Path, *args: str,
                output: int = subprocess.PIPE) -> subprocess.Popen:
    """`stridesite-agent simulate` into the server on `port` (or failing over between several);
    pass DEVNULL as `output` for an agent that runs longer than anyone reads its pipes."""
    env = {**os.environ, "STRIDESITE_TOKEN": token}
    servers = ",".join(f"ws://127.0.0.1:{p}" for p in (port if isinstance(port, list) else [port]))
    return subprocess.Popen(
        [sys.executable, "-m", "ingest.agent", "simulate", "--server", servers,
         "--spool", str(spool), "--quiet", *args],
        cwd=ROOT, env=env, stdout=output, stderr=output, text=True,
    )


def wait_until_running(seconds: float) -> None:
    """Sleep until the virtual runners have `seconds` of running ahead.
    Their loop (ingest/agent/virtual.py: stand, walk, run, walk, stand) is one for all of them,
    on a clock from midnight UTC, so every runner stops striding for the same 28 s; a test that
    times strides must not span that (one did, ~1 run in 50: "27.8 s without a stride")."""
    phases = demo_phases(3.5)
    loop = sum(phase.seconds for phase in phases)
    modes = [phase.mode for phase in phases]
    run_from = sum(phase.seconds for phase in phases[: modes.index("run")])
    run_to = loop - sum(phase.seconds for phase in phases[len(modes) - modes[::-1].index("run"):])
    now = time.time() % 86400 % loop
    if not run_from + 1 <= now <= run_to - seconds:
        time.sleep((run_from + 1 - now) % loop)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def login_cookie(db_path: Path, username: str, database_url: str | None = None) -> str:
    """A session cookie for `username`, written straight into the server's database."""
    code = ("from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY;"
            "from django.contrib.auth import HASH_SESSION_KEY;"
            "from django.contrib.sessions.backends.db import SessionStore;"
            f"u = get_user_model().objects.get(username={username!r}); s = SessionStore();"
            "s[SESSION_KEY] = str(u.pk);"
            "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend';"
            "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create(); print(s.session_key)")
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                         env=server_env(db_path, database_url=database_url),
                         capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1]
