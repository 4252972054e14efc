"""Live benchmark: N virtual runners at 200 Hz into one daphne, M tablets on the squad board.

    python bench/live_bench.py --runners 1 10 30 --tablets 3 --seconds 40

Prints per N: samples/s ingested, server CPU, and p50/p99 latency from a stride's end
(its next IC, in device time: the virtual leggings' sample clock is wall-clock based)
to its arrival at a tablet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import websockets  # noqa: E402

from tests.ingest.live_server import (  # noqa: E402
    cpu_seconds,
    free_port,
    login_cookie,
    prepare_demo,
    start_agent,
    start_server,
)


async def tablet(port: int, cookie: str, arrivals: list, stop: float, drain: float = 0.0) -> None:
    """A tablet on the squad board until `stop`, then until no stride came for `drain` seconds
    (what a server running behind still delivers)."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/live/", origin=f"http://127.0.0.1:{port}",
                                  additional_headers={"Cookie": f"sessionid={cookie}"}, max_size=2**24) as ws:
        await ws.send(json.dumps({"subscribe": "squad", "id": 1}))
        last = stop
        while time.time() < max(stop, last + drain):
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
            except TimeoutError:
                continue
            now = time.time()
            if message["type"] == "tick" and message["events"]:
                last = now
                arrivals += [(now, e["stride"]["session"], e["stride"]["t_end"], e["stride"]["leg"])
                             for e in message["events"] if e["kind"] == "stride"]


def outcome(con, arrivals: list, midnight: float, rate: float = 200.0) -> tuple[np.ndarray, int]:
    """Seconds from each stride's end to a tablet (the virtual leggings' sample clock counts from
    `midnight`, wall-clock time) and the sample instants stored for live sessions, read through
    the database connection `con` (sqlite3 or psycopg)."""
    origin = dict(con.execute("SELECT id, clock_origin FROM runs_runsession").fetchall())
    latency = np.array([now - (midnight + origin[session] / rate + t_end)
                        for now, session, t_end, _ in arrivals if session in origin])
    samples = con.execute("SELECT SUM(c.count) FROM runs_rawchunk c JOIN runs_runsession s "
                          "ON s.id = c.session_id WHERE s.source = 'live'").fetchone()[0] or 0
    return latency, samples


def run(runners: int, tablets: int, seconds: float) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.sqlite3"
        token = prepare_demo(db, runners).token
        port = free_port()
        server = start_server(db, port)
        os.sched_setaffinity(server.pid, {0})  # the server on core 0, all the load on core 1
        os.sched_setaffinity(0, {1})
        cookie = login_cookie(db, "coach")
        agent = start_agent(port, token, Path(tmp) / "spool.sqlite3", "--runners", str(runners),
                            "--seconds", str(seconds))
        time.sleep(5)  # warm-up: connections, first strides
        cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
        arrivals: list = []
        stop = time.time() + seconds - 10

        async def all_tablets():
            await asyncio.gather(*(tablet(port, cookie, arrivals if i == 0 else [], stop) for i in range(tablets)))

        asyncio.run(all_tablets())
        cpu = (cpu_seconds(server.pid) - cpu0) / (time.monotonic() - t0)
        for process in (agent, server):
            process.send_signal(signal.SIGKILL)
            process.wait()
        with contextlib.closing(sqlite3.connect(db)) as con:
            latency, samples = outcome(con, arrivals, time.time() // 86400 * 86400)
        span = seconds
        if not len(latency):
            return f"| {runners} | {tablets} | no strides arrived | | | |"
        return (f"| {runners} | {tablets} | {4 * samples / span:,.0f} | {100 * cpu:.0f}% "
                f"({100 * cpu / runners:.1f}% a runner) | "
                f"{1000 * np.percentile(latency, 50):.0f} ms | {1000 * np.percentile(latency, 99):.0f} ms "
                f"({len(latency)} strides) |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runners", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--tablets", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    print("| runners (200 Hz) | tablets | IMU samples/s stored | server CPU, core 0 (one core = 100%) | p50 latency | p99 latency |")
    print("|---|---|---|---|---|---|")
    for runners in args.runners:
        print(run(runners, args.tablets, args.seconds), flush=True)


if __name__ == "__main__":
    main()
