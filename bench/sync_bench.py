"""Sync benchmark: runs recorded on virtual leggings, synced over the emulated BLE link (private
D-Bus, bleak's real BlueZ backend, the link paced at ~100 kB/s) into a real daphne + worker.
Prints figures.

    python bench/sync_bench.py --minutes 10 --runs 2

Reports the transfer (minutes of running per second, kB/s), the whole sync (read, send, analyse,
erase) and the flash budget (hours per MB at 100 and 200 Hz). Needs dbus-daemon.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.agent.sync import Server, sync_in_range  # noqa: E402
from ingest.protocol.ble import INSTANT_BYTES  # noqa: E402
from tests.ingest.fake_bluez import LINK_BYTES_PER_S, FakeBlueZ, start_bus, use_bus  # noqa: E402
from tests.ingest.live_server import free_port, prepare_demo, start_server, start_worker  # noqa: E402

ADDRESS = "5A:1D:E0:00:00:01"


async def sync(tmp: Path, server: Server, minutes: float, runs: int) -> None:
    daemon, bus = start_bus(tmp)
    use_bus(bus)
    bluez = FakeBlueZ(bus)
    await bluez.start([(ADDRESS, "StrideSite-0001")])
    leggings = bluez.leggings[0]
    recorded = [leggings.source.record_run(minutes * 60, 6_000 + k * 100_000) for k in range(runs)]
    config = next(item for item in server.config()["leggings"] if item["ble_address"] == ADDRESS)
    reading: list[float] = []  # when each chunk of a run came in over the link

    def progress(what: str, done: int, total: int) -> None:
        if "reading" in what:
            reading.append(time.perf_counter())

    started = time.perf_counter()
    try:
        report = await sync_in_range(ADDRESS, config, server, tmp / "runs", progress)
    finally:
        bluez.stop()
        daemon.terminate()
    ended = time.perf_counter()
    running_min = sum(info.minutes for info in recorded)
    size = sum(info.size_bytes for info in recorded)
    read_s = reading[-1] - reading[0]
    print(f"synced {len(report.stored)}/{runs} runs, {running_min:.1f} min of running, {size / 1e6:.1f} MB")
    print(f"emulated link paced at {LINK_BYTES_PER_S / 1e3:.0f} kB/s")
    print(f"transfer over BLE: {read_s:.1f} s = {size / read_s / 1e3:.0f} kB/s = "
          f"{running_min / read_s:.2f} min of running per second")
    print(f"whole sync (list, read, send, analyse, erase): {ended - started:.1f} s = "
          f"{running_min / (ended - started):.2f} min of running per second")
    for rate in (200, 100):
        mb_per_h = rate * INSTANT_BYTES * 3600 / 1e6
        print(f"flash at {rate} Hz: {mb_per_h:.1f} MB per hour = {1 / mb_per_h:.4f} h per MB "
              f"({256 / mb_per_h:.1f} h in 256 MB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0, help="length of each recorded run")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        db = tmp / "db.sqlite3"
        token = prepare_demo(db).token
        port = free_port()
        processes = [start_server(db, port), start_worker(db)]
        try:
            asyncio.run(sync(tmp, Server(f"http://127.0.0.1:{port}", token), args.minutes, args.runs))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)
    os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)


if __name__ == "__main__":
    main()
