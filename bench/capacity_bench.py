"""What one server process holds: N runners at 200 Hz from cheap virtual leggings, server on core 0.

    python bench/capacity_bench.py --runners 1 8 30 60 100 --stations 4 --tablets 2 --seconds 25

The load is not the real agent (whose framers, spool and uplink per runner saturate its core
before the server's, docs/performance.md) but pre-encoded sample frames: one minute of
simulated running, quantised once, sent as the agent sends it — 20-sample frames every 100 ms
per runner, the runners spread over several station sockets, sample indices tied to the wall
clock — from one asyncio process on core 1, beside the tablets. Prints per N: IMU samples/s
stored, server CPU (core 0) and per runner, p50/p99 from a stride's end to a tablet, and the
load generator's own CPU (so it is seen not to be the bottleneck). The server runs as deployed
(DEBUG=0); `--debug` for the development settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import websockets  # noqa: E402

from ingest.protocol import frames  # noqa: E402
from ingest.protocol.ble import quantise  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_bench import outcome, tablet  # noqa: E402

from metrics.simulator import SENSORS, Phase, simulate  # noqa: E402
from tests.ingest.live_server import cpu_seconds, free_port, login_cookie, prepare_demo, start_server  # noqa: E402

RATE, FRAME = 200, 20  # samples a second, samples a frame (100 ms)
RANGES = (32, 2000)
MIDNIGHT = time.time() // 86400 * 86400  # sample indices count from here (uint32 frames)


def waveform() -> np.ndarray:
    """One minute of running, int16 at RANGES, looped by every virtual runner."""
    sim = simulate([Phase("run", 60.0, 3.8)], sample_rate=RATE, seed=11)
    return quantise(np.column_stack([sim.imu[s] for s in SENSORS]), *RANGES)


async def station(port: int, token: str, share: list[int], count: int, loop: np.ndarray, start: float,
                  stop: float) -> None:
    """One station socket streaming the runners with indices `share` of `count` leggings."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/ingest/", max_size=2**24,
                                  additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        leggings = json.loads(await ws.recv())["hello"]["leggings"][:count]
        mine = [leggings[i] for i in share]
        seq = {item["ble_address"]: item["next_seq"] for item in mine}
        drain = asyncio.create_task(_drain(ws))
        offsets = np.arange(FRAME, dtype=np.uint16)
        first = int((start - MIDNIGHT) * RATE)  # the sample clock is the wall clock since midnight
        frame = 0
        while time.time() < stop:
            due = start + (frame + 1) * FRAME / RATE
            await asyncio.sleep(max(0.0, due - time.time()))
            at = (frame * FRAME) % (len(loop) - FRAME)
            for k, item in enumerate(mine):
                lag = (k * 997) % (len(loop) - FRAME)  # runners out of step with each other
                rows = loop[(at + lag) % (len(loop) - FRAME):][:FRAME]
                address = item["ble_address"]
                await ws.send(frames.encode(frames.SampleFrame(
                    address, seq[address], first + frame * FRAME, RATE, *RANGES, offsets, rows)))
                seq[address] += 1
            frame += 1
        drain.cancel()


async def _drain(ws) -> None:
    async for _ in ws:  # acks and errors: read, not needed here
        pass


def run(runners: int, stations: int, tablets: int, seconds: float, debug: bool) -> str:
    loop = waveform()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.sqlite3"
        token = prepare_demo(db, runners).token
        port = free_port()
        server = start_server(db, port, production=not debug)
        os.sched_setaffinity(server.pid, {0})
        os.sched_setaffinity(0, {1})
        cookie = login_cookie(db, "coach")
        arrivals: list = []
        start = time.time() + 1.0
        stop = start + seconds
        shares = [list(range(i, runners, stations)) for i in range(min(stations, runners))]

        async def everything():
            await asyncio.gather(
                *(station(port, token, share, runners, loop, start, stop) for share in shares),
                *(tablet(port, cookie, arrivals if i == 0 else [], stop) for i in range(tablets)))

        own0 = resource.getrusage(resource.RUSAGE_SELF)
        cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
        asyncio.run(everything())
        elapsed = time.monotonic() - t0
        cpu = (cpu_seconds(server.pid) - cpu0) / elapsed
        own1 = resource.getrusage(resource.RUSAGE_SELF)
        load = (own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime) / elapsed
        server.send_signal(signal.SIGKILL)
        server.wait()
        latency, samples = outcome(db, arrivals, MIDNIGHT, RATE)
        latency = latency[np.arange(len(latency)) >= len(latency) // 5]  # past the first fifth: warm
        sent = runners * RATE * seconds
        if not len(latency):
            return f"| {runners} | {stations} | {tablets} | {samples / sent:.0%} stored | no strides arrived | | |"
        return (f"| {runners} | {stations} | {tablets} | {4 * samples / seconds:,.0f} ({samples / sent:.0%} "
                f"of sent) | {100 * cpu:.0f}% ({100 * cpu / runners:.2f}% a runner) | "
                f"{1000 * np.percentile(latency, 50):.0f} / {1000 * np.percentile(latency, 99):.0f} ms "
                f"({len(latency)} strides) | {100 * load:.0f}% |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runners", type=int, nargs="+", default=[1, 8, 30, 60, 100])
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--tablets", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--debug", action="store_true",
                        help="server with DEBUG=1 (query log on), as before; default: DEBUG=0, as deployed")
    args = parser.parse_args()
    print("| runners (200 Hz) | stations | tablets | IMU samples/s stored | server CPU, core 0 "
          "| p50 / p99 stride → tablet | load generator CPU, core 1 |")
    print("|---|---|---|---|---|---|---|")
    for runners in args.runners:
        print(run(runners, args.stations, args.tablets, args.seconds, args.debug), flush=True)


if __name__ == "__main__":
    main()
