"""`stridesite-agent` (also `python -m ingest.agent`): scan, run, simulate.

    stridesite-agent scan
    stridesite-agent run --server ws://host:8000 --token TOKEN
    stridesite-agent simulate --server ws://host:8000 --token TOKEN --runners 8 [--seconds 60] [--loss 0.03]

The token may also come from STRIDESITE_TOKEN (keeps it out of the process list).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path

from ingest.agent.ble_link import LinkState, keep_streaming, scan
from ingest.agent.framer import Framer, commit, mounting_matrix
from ingest.agent.spool import Spool
from ingest.agent.status import StatusBoard
from ingest.agent.uplink import Uplink
from ingest.agent.virtual import VirtualLeggings

log = logging.getLogger("stridesite.agent")
DEFAULT_SPOOL = Path.home() / ".stridesite-agent" / "spool.sqlite3"
COMMIT_S = 0.02  # group commit of new frames to the spool


class Agent:
    """Leggings (real or virtual) → framers → spool → uplink, plus the status board."""

    def __init__(self, server: str, token: str, spool_path: Path, quiet: bool) -> None:
        spool_path.parent.mkdir(parents=True, exist_ok=True)
        self.spool = Spool(spool_path)
        self.uplink = Uplink(server, token, self.spool, on_hello=self._on_hello)
        self.framers: dict[str, Framer] = {}
        self.links: dict[str, LinkState] = {}
        self.tasks: dict[str, asyncio.Task] = {}
        self.hello = asyncio.Event()
        self.config: list[dict] = []
        self.board = StatusBoard(self, quiet)

    def _on_hello(self, hello: dict) -> None:
        self.config = hello["leggings"]
        for leggings in self.config:
            address = leggings["ble_address"]
            framer = self.framers.setdefault(address, Framer(address, self.spool))
            framer.mounting = mounting_matrix(leggings.get("mounting"))
            self.links.setdefault(address, LinkState())
        self.hello.set()

    def on_notification(self, address: str, data: bytes) -> None:
        self.framers[address].on_notification(data)

    def on_drop(self, address: str) -> None:
        self.framers[address].flush()
        self.commit()

    def commit(self) -> None:
        """Spool every framer's new frames in one transaction, then let the uplink send them."""
        if commit(self.spool, list(self.framers.values())):
            self.uplink.kick()

    async def committing(self) -> None:
        while True:
            await asyncio.sleep(COMMIT_S)
            self.commit()

    async def wait_drained(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.spool.backlog() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        return not self.spool.backlog()


async def _run(args: argparse.Namespace) -> int:
    agent = Agent(args.server, args.token, Path(args.spool), args.quiet)
    uplink = asyncio.create_task(agent.uplink.run())
    board = asyncio.create_task(agent.board.run())
    committer = asyncio.create_task(agent.committing())
    await agent.hello.wait()
    for leggings in agent.config:
        address = leggings["ble_address"]
        agent.tasks[address] = asyncio.create_task(keep_streaming(
            address, lambda data, a=address: agent.on_notification(a, data), agent.links[address],
            on_drop=lambda a=address: agent.on_drop(a),
            on_state=lambda up, a=address: agent.uplink.set_radio(a, up)))
    await asyncio.gather(uplink, board, committer, *agent.tasks.values())
    return 0


async def _simulate(args: argparse.Namespace) -> int:
    agent = Agent(args.server, args.token, Path(args.spool), args.quiet)
    uplink = asyncio.create_task(agent.uplink.run())
    board = asyncio.create_task(agent.board.run())
    committer = asyncio.create_task(agent.committing())
    try:
        await asyncio.wait_for(agent.hello.wait(), args.connect_timeout)
    except TimeoutError:
        print(f"no answer from {agent.uplink.url} within {args.connect_timeout} s", file=sys.stderr)
        return 2
    chosen = agent.config[: args.runners]
    if len(chosen) < args.runners:
        print(f"the station has {len(chosen)} leggings assigned; simulating those", file=sys.stderr)
    devices = []
    for number, leggings in enumerate(chosen):
        address = leggings["ble_address"]
        device = VirtualLeggings(address, leggings["ble_name"], seed=number + 1, rate_hz=args.rate,
                                 speed=3.0 + 0.25 * number, loss=args.loss,
                                 disconnect_every_s=args.disconnect_every, fade_every_s=args.fade_every)
        devices.append(device)

        def on_state(up: bool, a=address) -> None:
            agent.links[a].connected = up
            agent.uplink.set_radio(a, up)
            if not up:
                agent.on_drop(a)

        agent.tasks[address] = asyncio.create_task(device.stream(
            lambda data, a=address: agent.on_notification(a, data), seconds=args.seconds, on_state=on_state))
    agent.board.devices = {d.address: d for d in devices}
    await asyncio.gather(*agent.tasks.values())
    for framer in agent.framers.values():
        framer.flush()
    agent.commit()
    drained = await agent.wait_drained(args.drain_timeout)
    for task in (uplink, board, committer):
        task.cancel()
    agent.board.print_summary()
    return 0 if drained else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stridesite-agent", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("scan", help="list leggings in range with RSSI and battery").add_argument(
        "--seconds", type=float, default=5.0)
    for name in ("run", "simulate"):
        p = sub.add_parser(name)
        p.add_argument("--server", required=True, help="ws://host:port of the StrideSite server")
        p.add_argument("--token", default=os.environ.get("STRIDESITE_TOKEN", ""))
        p.add_argument("--spool", default=str(DEFAULT_SPOOL))
        p.add_argument("--quiet", action="store_true", help="no live status table")
        p.add_argument("--verbose", action="store_true")
    sim = sub.choices["simulate"]
    sim.add_argument("--runners", type=int, default=8)
    sim.add_argument("--seconds", type=float, default=None, help="stream this long (default: forever)")
    sim.add_argument("--loss", type=float, default=0.0, help="fraction of BLE notifications lost")
    sim.add_argument("--rate", type=int, default=200)
    sim.add_argument("--disconnect-every", type=float, default=0.0, help="mean seconds between drops")
    sim.add_argument("--fade-every", type=float, default=0.0,
                     help="mean seconds between radio fades (each loses 40–240 ms of notifications)")
    sim.add_argument("--connect-timeout", type=float, default=30.0)
    sim.add_argument("--drain-timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    if args.command == "scan":
        for seen in asyncio.run(scan(args.seconds)):
            battery = f"{seen.battery}%" if seen.battery is not None else "?"
            print(f"{seen.name:24} {seen.address}  RSSI {seen.rssi:4d} dBm  battery {battery}")
        return 0
    if not args.token:
        parser.error("--token (or STRIDESITE_TOKEN) is required")
    try:
        return asyncio.run(_run(args) if args.command == "run" else _simulate(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
