"""The reference deployment (deploy/) run as an operator runs it: two daphne processes started
with the systemd unit's own command line behind Caddy (deploy/Caddyfile, its internal TLS and
health checks), on PostgreSQL and the Redis channel layer, DEBUG=0. The agent and a board go
through the proxy. The process holding the agent is SIGKILLed: the board keeps receiving within
5 s, is never sent a stride twice, misses none, and the numbering carries on."""

import asyncio
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request

import pytest
import websockets

from tests.ingest.live_server import ROOT, free_port, login_cookie, prepare_demo, wait_until_running

DEPLOY = ROOT / "deploy"
UNITS = ("stridesite-web@.service", "stridesite-worker.service", "stridesite-agent.service")
RUNNERS = 3
SCALE_OUT = bool(os.environ.get("REDIS_URL")) and os.environ.get("DATABASE_URL", "").startswith("postgres")


def _unit(name: str) -> str:
    """A unit file with its install path made this checkout's."""
    return (DEPLOY / "systemd" / name).read_text().replace("/opt/stridesite", str(ROOT))


def _exec_start(name: str, instance: str) -> list[str]:
    text = _unit(name).replace("\\\n", " ")
    return shlex.split(re.search(r"^ExecStart=(.*)$", text, re.M).group(1).replace("%i", instance))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_service_units_are_valid_and_their_commands_exist(tmp_path):
    for name in UNITS:
        path = tmp_path / name.replace("@.", "@8001.")
        path.write_text(_unit(name))
        done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(path)],
                              capture_output=True, text=True)
        problems = [line for line in (done.stdout + done.stderr).splitlines()
                    if str(path) in line or "executable" in line or "Unknown" in line]
        assert not problems, problems


@pytest.fixture
def database(monkeypatch):
    """A fresh PostgreSQL database for the deployment; dropped afterwards."""
    import psycopg

    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = f"stridesite_deploy_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(40))  # the servers' and the setup's
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _wait_for(check, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s")


def _get(url: str, context: ssl.SSLContext | None = None) -> str:
    with urllib.request.urlopen(url, timeout=2, context=context) as response:  # noqa: S310 (our http(s) URLs)
        return response.read().decode()


async def _board(url: str, origin: str, cookie: str, context: ssl.SSLContext, log: list) -> None:
    """A board as live.js is one: subscribe, ask for a backfill after a gap in a runner's stride
    numbers (a stride the killed process stored but had not yet sent), and reconnect (through the
    proxy) when dropped."""
    while True:
        try:
            async with websockets.connect(url, ssl=context, origin=origin,
                                          additional_headers={"Cookie": f"sessionid={cookie}"}) as ws:
                await ws.send(json.dumps({"subscribe": "squad", "id": 1}))
                last: dict[int, tuple[int, int]] = {}  # runner → (session, number) last seen
                async for raw in ws:
                    message = json.loads(raw)
                    log.append((time.monotonic(), message))
                    if message["type"] == "backfill":
                        last.clear()
                    for event in message.get("events", []) if message["type"] == "tick" else []:
                        if event["kind"] != "stride":
                            continue
                        session, number = last.get(event["runner"], (None, 0))
                        expected = number + 1 if event["stride"]["session"] == session else 1
                        if session is not None and event["seq"] != expected:
                            await ws.send(json.dumps({"backfill": "squad", "id": 1}))
                        last[event["runner"]] = (event["stride"]["session"], event["seq"])
        except (OSError, websockets.WebSocketException):
            pass
        await asyncio.sleep(0.5)


@pytest.mark.skipif(not SCALE_OUT or shutil.which("caddy") is None,
                    reason="needs PostgreSQL, Redis and caddy (the scale-out pass)")
async def test_a_process_killed_behind_the_proxy_loses_nothing_and_shows_nothing_twice(tmp_path, database):
    db = tmp_path / "unused.sqlite3"
    token = (await asyncio.to_thread(prepare_demo, db, 8, database)).token
    board_logs: list[list] = [[], [], []]
    with contextlib.ExitStack() as stack:
        logs = {name: stack.enter_context(open(tmp_path / f"{name}.log", "w"))
                for name in ("web0", "web1", "caddy", "agent")}
        killed = await _run_and_kill_one(tmp_path, database, token, logs, board_logs)

    stored = _stored(database)
    assert len({session for _, session, _, _ in stored}) == RUNNERS
    for board_log in board_logs:
        _check_board(board_log, killed, stored)
    # Caddy spreads sockets by least connections: three boards before the agent put one on the
    # agent's process, which had to reconnect (a second backfill) through the proxy.
    assert max(sum(m["type"] == "backfill" for _, m in log) for log in board_logs) >= 2


def _check_board(board_log: list, killed: float, stored: list[tuple]) -> None:
    events = _strides(board_log)
    after = [killed] + [at for at, _ in events if at > killed]
    gaps = [(later - earlier, earlier - killed) for earlier, later in zip(after, after[1:], strict=False)]
    silence, since_kill = max(gaps)
    kinds = [(round(at - killed, 2), message["type"]) for at, message in board_log
             if at > killed + since_kill - 2 and at < killed + since_kill + silence + 2][:40]
    assert len(after) > 20 and silence <= 5.0, (  # the board keeps receiving within 5 s
        f"{silence:.1f} s without a stride from {since_kill:.1f} s after the kill; messages then: {kinds}")
    keys = [_key(event) for _, event in events]
    assert len(keys) == len(set(keys))  # no stride sent twice
    numbers: dict = {}
    for _, event in events:  # numbering carries on across the process change
        run = (event["runner"], event["stride"]["session"])
        assert event["seq"] > numbers.get(run, 0)
        numbers[run] = event["seq"]
    shown = set(keys) | {(runner["runner"], stride["session"], stride["leg"], stride["t_start"])
                         for _, message in board_log if message["type"] == "backfill"
                         for runner in message["runners"] for stride in runner["strides"]}
    first_seen: dict = {}
    for _, session, _, t_start in sorted(shown, key=lambda k: k[3]):
        first_seen.setdefault(session, t_start)
    missing = [k for k in stored if k[3] >= first_seen.get(k[1], float("inf")) and k not in shown]
    assert not missing  # every stride stored after the board first saw the session reached it


async def _run_and_kill_one(tmp_path, database: str, token: str, logs: dict, board_logs: list) -> float:
    """Two web processes behind Caddy, boards and the agent through it; the web process holding
    the agent is SIGKILLed mid-run. Returns when it was killed (time.monotonic)."""
    https = free_port()
    origin = f"https://127.0.0.1:{https}"
    env = {**os.environ, "DATABASE_URL": database, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1",
           "CSRF_TRUSTED_ORIGINS": origin, "INSTALLATION_NAME": f"deploy{secrets.token_hex(3)}",
           "STATIC_ROOT": str(tmp_path / "static")}  # collected here, not into the checkout the tests use
    ports = [free_port(), free_port()]
    web = {port: subprocess.Popen(_exec_start("stridesite-web@.service", str(port)), cwd=ROOT, env=env,
                                  stdout=logs[f"web{n}"], stderr=subprocess.STDOUT)
           for n, port in enumerate(ports)}
    caddy = subprocess.Popen(
        ["caddy", "run", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        env={**os.environ, "STRIDESITE_SITE": origin, "STRIDESITE_TLS": "internal",
             "STRIDESITE_UPSTREAMS": " ".join(f"127.0.0.1:{p}" for p in ports),
             "STRIDESITE_HTTP_PORT": str(free_port()), "STRIDESITE_HTTPS_PORT": str(https),
             "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
             "HOME": str(tmp_path)},
        stdout=logs["caddy"], stderr=subprocess.STDOUT)
    processes = [*web.values(), caddy]
    boards: list[asyncio.Task] = []
    try:
        for port in ports:  # DEBUG=0: each collects the static files first (one at a time)
            await asyncio.to_thread(_wait_for, lambda p=port: _get(f"http://127.0.0.1:{p}/readyz"), "web up")
        root = tmp_path / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        await asyncio.to_thread(_wait_for, root.exists, "caddy's CA")
        context = ssl.create_default_context(cafile=str(root))
        await asyncio.to_thread(_wait_for, lambda: _get(f"{origin}/healthz", context), "the proxy")

        cookie = await asyncio.to_thread(login_cookie, tmp_path / "unused.sqlite3", "coach", database)
        for board_log in board_logs:
            boards.append(asyncio.create_task(_board(f"wss://127.0.0.1:{https}/ws/live/", origin, cookie,
                                                     context, board_log)))
            await asyncio.to_thread(_wait_for, lambda log=board_log: log, "a board subscribed")
        await asyncio.to_thread(wait_until_running, 50)  # strides all through the agent's 45 s
        agent = subprocess.Popen(
            [sys.executable, "-m", "ingest.agent", "simulate", "--server", origin, "--ca-file", str(root),
             "--spool", str(tmp_path / "spool.sqlite3"), "--quiet", "--runners", str(RUNNERS),
             "--seconds", "45"],  # time after the kill even when strides come slowly,
            cwd=ROOT, env={**os.environ, "STRIDESITE_TOKEN": token}, stdout=logs["agent"],
            stderr=subprocess.STDOUT)
        processes.append(agent)
        await asyncio.to_thread(_wait_for, lambda: all(len(_strides(log)) >= 10 for log in board_logs),
                                "strides on the boards", 60)

        holding = [p for p in ports if "stridesite_connected_stations 1.0"
                   in _get(f"http://127.0.0.1:{p}/metrics")]
        assert len(holding) == 1
        web[holding[0]].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        assert await asyncio.to_thread(agent.wait, 120) == 0, (tmp_path / "agent.log").read_text()
        await asyncio.sleep(2)
        return killed
    finally:
        for board in boards:
            board.cancel()
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def _strides(log: list) -> list[tuple[float, dict]]:
    return [(at, event) for at, message in log if message["type"] == "tick"
            for event in message["events"] if event["kind"] == "stride"]


def _key(event: dict) -> tuple:
    stride = event["stride"]
    return event["runner"], stride["session"], stride["leg"], stride["t_start"]


def _stored(database: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(database) as conn:
        rows = conn.execute(
            "SELECT s.runner_id, s.id, r.leg, r.t_start, s.status FROM metrics_striderecord r "
            "JOIN runs_runsession s ON s.id = r.session_id WHERE s.source = 'live'").fetchall()
    assert {row[4] for row in rows} == {"done"}  # the agent ended its run: sessions closed
    return [row[:4] for row in rows]
