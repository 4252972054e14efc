"""What one server process holds: N runners at 200 Hz from cheap virtual leggings, server on core 0.

    python bench/capacity_bench.py --runners 1 8 30 60 100 --stations 4 --tablets 2 --seconds 25

The load is not the real agent (whose framers, spool and uplink per runner saturate its core
before the server's, docs/performance.md) but sample frames cut as the agent cuts them: one
minute of simulated running, quantised once, each runner's frames ending where a stride can be
confirmed (`metrics.core.stride_cuts`) or after 200 ms (`--fixed-frames`: every 100 ms, as the
agent cut them before), sent as the agent sends them (every 20 ms, all frames complete by
then), the runners spread over several station sockets, sample indices tied to the wall clock,
from one asyncio process on core 1, beside the tablets. Prints per N: IMU samples/s stored,
server CPU (core 0) and per runner, p50/p99 from a stride's end to a tablet, and the load
generator's own CPU (so it is seen not to be the bottleneck). The server runs as deployed
(DEBUG=0); `--debug` for the development settings.

`--scale-out`: the same over two daphne processes (both on core 0) on PostgreSQL and the Redis
channel layer (POSTGRES_SERVER, REDIS_URL; a fresh database, dropped after), stations and tablets
spread over both; adds the PostgreSQL and Redis servers' CPU and, per run, the strides stored
that the worst tablet never got. `--core-each` with it: process k on core k (as deployed, one a
core), the load beside the second process on core 1 (it needs under a tenth of a core); CPU is
then the two processes' sum, of two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import websockets  # noqa: E402

from ingest.agent.cli import COMMIT_S  # noqa: E402
from ingest.agent.framer import MAX_FRAME_S  # noqa: E402
from ingest.protocol import frames  # noqa: E402
from ingest.protocol.ble import lsb, quantise  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_bench import outcome, tablet  # noqa: E402

from metrics.core.stride_cuts import StrideCuts  # noqa: E402
from metrics.simulator import SENSORS, Phase, simulate  # noqa: E402
from tests.ingest.live_server import cpu_seconds, free_port, login_cookie, prepare_demo, start_server  # noqa: E402

RATE, FRAME = 200, 20  # samples a second, samples a frame of the fixed framing (100 ms)
ACK_WAIT_S = 10.0  # a station waits this long at most for its last acks
RANGES = (32, 2000)
MIDNIGHT = time.time() // 86400 * 86400  # sample indices count from here (uint32 frames)
POSTGRES = os.environ.get("POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")  # --scale-out
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def waveform() -> np.ndarray:
    """One minute of running, int16 at RANGES, looped by every virtual runner."""
    sim = simulate([Phase("run", 60.0, 3.8)], sample_rate=RATE, seed=11)
    return quantise(np.column_stack([sim.imu[s] for s in SENSORS]), *RANGES)


def loop_cuts(loop: np.ndarray) -> np.ndarray:
    """Where in the (circular) loop the agent's framer ends a frame for a stride."""
    twice = np.concatenate([loop, loop]) * lsb(*RANGES)
    cuts = np.array(StrideCuts().scan(np.arange(len(twice)), twice, RATE))
    return np.sort(cuts[(cuts >= len(loop)) & (cuts < 2 * len(loop))] - len(loop))


def frame_plan(loop: np.ndarray, runners: list[int], first: int, last: int, strides: bool) -> list[tuple]:
    """(last sample index + 1, runner, first sample index) of every frame the runners send over
    [first, last) of the sample clock, in time order. Runner k plays the loop from row k·997."""
    plan, longest = [], int(round(MAX_FRAME_S * RATE)) if strides else FRAME
    cuts = loop_cuts(loop) if strides else np.empty(0, dtype=int)
    for k in runners:
        lag = (k * 997) % len(loop)
        cycles = np.arange((first + lag) // len(loop), (last + lag) // len(loop) + 2)
        ends = (cycles[:, None] * len(loop) + cuts[None, :]).ravel() - lag  # sample clock
        ends = ends[ends > first]
        at, pos = first, 0
        while at < last:
            while pos < len(ends) and ends[pos] <= at:
                pos += 1
            end = min(at + longest, int(ends[pos]) if pos < len(ends) else at + longest, last)
            plan.append((end, k, at))
            at = end
    return sorted(plan)


async def station(port: int, token: str, share: list[int], count: int, loop: np.ndarray, start: float,
                  stop: float, strides: bool) -> tuple[int, int]:
    """One station socket streaming the runners with indices `share` of `count` leggings; like the
    agent, it closes once every frame is acknowledged (or ACK_WAIT_S after its last frame).
    Returns (samples sent, frames never acknowledged)."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/ingest/", max_size=2**24,
                                  additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        leggings = json.loads(await ws.recv())["hello"]["leggings"][:count]
        seq = {leggings[k]["ble_address"]: leggings[k]["next_seq"] for k in share}
        acked = {address: next_seq - 1 for address, next_seq in seq.items()}
        drain = asyncio.create_task(_drain(ws, acked))
        sent = 0
        first = int((start - MIDNIGHT) * RATE)  # the sample clock is the wall clock since midnight
        plan = frame_plan(loop, share, first, int((stop - MIDNIGHT) * RATE), strides)
        for end, k, at in plan:  # the agent spools and sends new frames every COMMIT_S
            tick = np.ceil((MIDNIGHT + end / RATE) / COMMIT_S) * COMMIT_S
            await asyncio.sleep(max(0.0, tick - time.time()))
            address = leggings[k]["ble_address"]
            rows = loop[(np.arange(at, end) + k * 997) % len(loop)]
            await ws.send(frames.encode(frames.SampleFrame(
                address, seq[address], at, RATE, *RANGES, np.arange(end - at, dtype=np.uint16), rows)))
            seq[address] += 1
            sent += end - at
        waited = time.monotonic()
        while any(acked[a] < seq[a] - 1 for a in seq) and time.monotonic() - waited < ACK_WAIT_S:
            await asyncio.sleep(0.05)
        drain.cancel()
        return sent, sum(seq[a] - 1 - acked[a] for a in seq)


async def _drain(ws, acked: dict[str, int]) -> None:
    """Note each leggings' acknowledged seq (errors are read and dropped)."""
    async for message in ws:
        for address, seq in json.loads(message).get("ack", {}).items():
            acked[address] = max(acked.get(address, -1), seq)


def run(runners: int, stations: int, tablets: int, seconds: float, debug: bool, scale_out: bool,
        strides: bool = True, core_each: bool = False) -> str:
    loop = waveform()
    with tempfile.TemporaryDirectory() as tmp, _database(scale_out) as database_url:
        db = Path(tmp) / "db.sqlite3"
        token = prepare_demo(db, runners, database_url).token
        redis = REDIS_URL if scale_out else None
        ports = [free_port() for _ in range(2 if scale_out else 1)]
        servers = [start_server(db, port, redis, production=not debug, database_url=database_url)
                   for port in ports]
        for k, server in enumerate(servers):
            os.sched_setaffinity(server.pid, {k if core_each else 0})
        os.sched_setaffinity(0, {1})
        cookie = login_cookie(db, "coach", database_url)
        boards: list[list] = [[] for _ in range(tablets)]
        start = time.time() + 1.0
        stop = start + seconds
        shares = [list(range(i, runners, stations)) for i in range(min(stations, runners))]

        def cpu_now() -> tuple[float, ...]:
            own = resource.getrusage(resource.RUSAGE_SELF)
            return (time.monotonic(), sum(cpu_seconds(s.pid) for s in servers), service_cpu(),
                    own.ru_utime + own.ru_stime)

        async def sent_cpu() -> tuple[float, ...]:  # CPU over the sending, not the acks' or tablets' wait
            await asyncio.sleep(max(0.0, stop + COMMIT_S - time.time()))
            return cpu_now()

        async def everything():  # stations and tablets spread over the processes in turn
            return await asyncio.gather(
                sent_cpu(), asyncio.gather(*(station(ports[i % len(ports)], token, share, runners, loop, start,
                                                     stop, strides) for i, share in enumerate(shares))),
                *(tablet(ports[i % len(ports)], cookie, board, stop, drain=3.0) for i, board in enumerate(boards)))

        before = cpu_now()
        after, streamed, *_ = asyncio.run(everything())
        elapsed = after[0] - before[0]
        cpu, services, load = ((later - earlier) / elapsed for earlier, later in zip(before[1:], after[1:],
                                                                                        strict=True))
        for server in servers:
            server.send_signal(signal.SIGKILL)
            server.wait()
        with _connect(db, database_url) as con:
            latency, samples = outcome(con, [a for board in boards for a in board], MIDNIGHT, RATE)
            missing = _missing(con, boards, start + 3.0, stop - 1.0)
        latency = latency[np.arange(len(latency)) >= len(latency) // 5]  # past the first fifth: warm
        sent, unacked = (sum(column) for column in zip(*streamed, strict=True))
        stored = "all" if samples == sent else f"{samples / sent:.1%}"
        stored += f" of sent{f', {unacked} frames unacknowledged' if unacked else ''}"
        if not len(latency):
            return f"| {runners} | {stations} | {tablets} | {stored} | no strides arrived | | |"
        extra = f" | {100 * services:.0f}% | {missing}" if scale_out else ""
        return (f"| {runners} | {stations} | {tablets} | {4 * samples / seconds:,.0f} ({stored}) "
                f"| {100 * cpu:.0f}% ({100 * cpu / runners:.2f}% a runner) | "
                f"{1000 * np.percentile(latency, 50):.0f} / {1000 * np.percentile(latency, 99):.0f} ms "
                f"({len(latency)} strides) | {100 * load:.0f}%{extra} |")


@contextlib.contextmanager
def _database(scale_out: bool) -> Iterator[str | None]:
    """A fresh PostgreSQL database for a scale-out run, dropped afterwards (None: SQLite)."""
    if not scale_out:
        yield None
        return
    import psycopg

    name = f"stridesite_capacity_{os.getpid()}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _connect(db: Path, database_url: str | None):
    if database_url is None:
        return contextlib.closing(sqlite3.connect(db))
    import psycopg

    return psycopg.connect(database_url)


def _missing(con, boards: list[list], since: float, until: float) -> str:
    """Strides stored with their end in [since, until] (wall clock) that a tablet never got:
    "none" or the count on the tablet missing most."""
    rows = con.execute("SELECT r.session_id, r.t_end, r.leg, s.clock_origin FROM metrics_striderecord r "
                       "JOIN runs_runsession s ON s.id = r.session_id WHERE s.source = 'live'").fetchall()
    stored = {(session, round(t_end, 3), leg) for session, t_end, leg, origin in rows
              if since <= MIDNIGHT + origin / RATE + t_end <= until}
    worst = max(len(stored - {(session, round(t_end, 3), leg) for _, session, t_end, leg in board})
                for board in boards)
    return f"none of {len(stored)}" if not worst else f"{worst} of {len(stored)}"


def service_cpu() -> float:
    """CPU seconds of every PostgreSQL and Redis server process on the machine."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if text[text.index("(") + 1: text.rindex(")")] in ("postgres", "redis-server"):
            total += cpu_seconds(int(stat.parent.name))
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runners", type=int, nargs="+", default=[1, 8, 30, 60, 100])
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--tablets", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--debug", action="store_true",
                        help="server with DEBUG=1 (query log on), as before; default: DEBUG=0, as deployed")
    parser.add_argument("--scale-out", action="store_true",
                        help="two daphne processes (both on core 0) on PostgreSQL and the Redis layer")
    parser.add_argument("--core-each", action="store_true",
                        help="with --scale-out: process k on core k, the load beside the second")
    parser.add_argument("--fixed-frames", action="store_true",
                        help="frames of 100 ms, as the agent cut them before it cut them at strides")
    args = parser.parse_args()
    where = "both processes, cores 0 + 1" if args.core_each else "core 0"
    head = (f"| runners (200 Hz) | stations | tablets | IMU samples/s stored | server CPU, {where} "
            "| p50 / p99 stride → tablet | load generator CPU, core 1 |")
    if args.scale_out:
        head += " PostgreSQL + Redis CPU | strides a tablet missed |"
    print(head)
    print("|---" * head.count(" | ") + "|---|")
    for runners in args.runners:
        print(run(runners, args.stations, args.tablets, args.seconds, args.debug, args.scale_out,
                  not args.fixed_frames, args.core_each), flush=True)


if __name__ == "__main__":
    main()
