"""Websocket floods against a real daphne: the server's memory and another user's page latency.

    python bench/flood_bench.py [--seconds 12]

Server on core 0, attackers and the measuring client on core 1 (taskset). Two attacks, each
on a fresh server with the demo data:
- garbage: a station token holder sends junk frames on /ws/ingest/ as fast as it can and
  never reads the replies;
- subscribe: a logged-in runner sends `subscribe` on /ws/live/ in a loop.
Meanwhile another user loads a page every 100 ms. Prints the server's RSS before and after
(and 5 s after the attack), the attacker's fate, and the victim's p50/p99 page time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import websockets  # noqa: E402

from tests.ingest.live_server import free_port, login_cookie, prepare_demo, start_server  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def victim(port: int, cookie: str, stop: asyncio.Event) -> list[float]:
    """A coach loading the squad page every 100 ms; returns the page times (ms)."""
    times = []

    def load() -> float:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/squads/1/",
                                         headers={"Cookie": f"sessionid={cookie}"})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — our own server
            response.read()
        return 1000 * (time.perf_counter() - start)

    while not stop.is_set():
        times.append(await asyncio.to_thread(load))
        await asyncio.sleep(0.1)
    return times


async def flood(url: str, headers: dict, message, seconds: float, **options) -> str:
    """Send `message()` as fast as the socket takes it, never reading what comes back."""
    sent = 0
    try:
        async with websockets.connect(url, additional_headers=headers, max_queue=None, **options) as socket:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                await asyncio.wait_for(socket.send(message()), timeout=max(end - time.monotonic(), 0.01))
                sent += 1
            return f"still open at the end ({sent} sent)"
    except TimeoutError:
        return f"stalled: the server stopped reading ({sent} sent)"
    except websockets.ConnectionClosed as closed:
        return f"closed by the server: {closed.rcvd.code if closed.rcvd else '?'} ({sent} sent)"


async def garbage(port: int, token: str, seconds: float) -> str:
    return await flood(f"ws://127.0.0.1:{port}/ws/ingest/", {"Authorization": f"Bearer {token}"},
                       lambda: os.urandom(2000), seconds)


async def subscribe(port: int, cookie: str, seconds: float) -> str:
    return await flood(f"ws://127.0.0.1:{port}/ws/live/", {"Cookie": f"sessionid={cookie}"},
                       lambda: json.dumps({"subscribe": "runner", "id": 1}), seconds,
                       origin=f"http://127.0.0.1:{port}")


async def attack(kind: str, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "flood.sqlite3"
        demo = prepare_demo(db)
        port = free_port()
        server = start_server(db, port)
        os.sched_setaffinity(server.pid, {0})
        os.sched_setaffinity(0, {1})
        try:
            coach, runner = login_cookie(db, "coach"), login_cookie(db, "runner1")
            await asyncio.sleep(2)
            before = rss_mb(server.pid)
            stop = asyncio.Event()
            watch = asyncio.create_task(victim(port, coach, stop))
            await asyncio.sleep(2)
            fate = await (garbage(port, demo.token, seconds) if kind == "garbage"
                          else subscribe(port, runner, seconds))
            during = rss_mb(server.pid)
            stop.set()
            times = np.array(await watch)
            await asyncio.sleep(5)
            after = rss_mb(server.pid)
            print(f"| {kind} | {before:.0f} | {during:.0f} | {after:.0f} | {fate} "
                  f"| {np.median(times):.0f} | {np.percentile(times, 99):.0f} | {len(times)} |", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    print(f"{args.seconds:g} s attacks; server on core 0, clients on core 1\n")
    print("| attack | server MB before | at the end | 5 s later | attacker | victim page p50 ms | p99 ms | pages |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in ("garbage", "subscribe"):
        asyncio.run(attack(kind, args.seconds))


if __name__ == "__main__":
    main()
