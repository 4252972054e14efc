"""`stridesite-agent` (also `python -m ingest.agent`): scan, run, simulate.

    stridesite-agent scan
    stridesite-agent run --server wss://host [--server wss://other] --token TOKEN
    stridesite-agent sync --server https://host --token TOKEN
    stridesite-agent simulate --server ws://host:8000 --token TOKEN --runners 8 [--seconds 60] [--loss 0.03]

The token may also come from STRIDESITE_TOKEN (keeps it out of the process list). Several
--server URLs (or one comma-separated list) are tried in turn: the agent fails over to the
next when one goes away. A run that ends (Ctrl-C, SIGTERM, or the simulation's end) sends
what is spooled, then tells the server, which closes the run's sessions. `sync` (and `run`,
whenever leggings come in range) brings the runs recorded on the leggings' flash to the server
and erases them there once stored.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from ingest.agent.ble_link import LinkState, assign_adapters, keep_streaming, scan
from ingest.agent.framer import Framer, commit, mounting_matrix
from ingest.agent.spool import Spool
from ingest.agent.status import StatusBoard
from ingest.agent.sync import Server, sync_in_range, sync_leggings
from ingest.agent.uplink import Uplink
from ingest.agent.virtual import VirtualLeggings

log = logging.getLogger("stridesite.agent")
DEFAULT_SPOOL = Path.home() / ".stridesite-agent" / "spool.sqlite3"
COMMIT_S = 0.02  # group commit of new frames to the spool


def server_urls(args: argparse.Namespace) -> list[str]:
    """Every --server given, comma-separated lists split, in order."""
    return [url for given in args.server for url in given.split(",") if url]


def runs_folder(args: argparse.Namespace) -> Path:
    """Where runs read from the leggings wait, part by part, beside the spool."""
    return Path(args.spool).parent / "runs"


class Agent:
    """Leggings (real or virtual) → framers → spool → uplink, plus the status board."""

    def __init__(self, args: argparse.Namespace) -> None:
        spool_path = Path(args.spool)
        spool_path.parent.mkdir(parents=True, exist_ok=True)
        self.spool = Spool(spool_path)
        servers = server_urls(args)
        self.uplink = Uplink(servers, args.token, self.spool, on_hello=self._on_hello, ca_file=args.ca_file)
        self.server = Server(servers[0], args.token, args.ca_file)
        self.runs_folder = runs_folder(args)
        self.framers: dict[str, Framer] = {}
        self.links: dict[str, LinkState] = {}
        self.tasks: dict[str, asyncio.Task] = {}
        self.hello = asyncio.Event()
        self.config: list[dict] = []
        self.board = StatusBoard(self, args.quiet)

    def _on_hello(self, hello: dict) -> None:
        self.config = hello["leggings"]
        for leggings in self.config:
            address = leggings["ble_address"]
            framer = self.framers.setdefault(address, Framer(address, self.spool))
            framer.mounting = mounting_matrix(leggings.get("mounting"))
            self.links.setdefault(address, LinkState())
        self.hello.set()

    async def sync_stored(self, client, leggings: dict) -> None:
        """Leggings came in range: the runs on their flash go to the server first (a failure is
        logged, streaming goes on; the next link tries again)."""
        try:
            report = await sync_leggings(client, leggings, self.server, self.runs_folder)
        except Exception as error:  # noqa: BLE001 — never keep the leggings from streaming
            log.warning("%s: sync of stored runs stopped: %s", leggings["serial"], error)
            return
        if report.stored or report.failed:
            log.warning("%s: %d stored runs synced, %d kept", report.serial, len(report.stored),
                        len(report.failed))

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

    def start(self) -> list[asyncio.Task]:
        """The uplink, the status board and the spool's group commit, in the background."""
        work = (self.uplink.run(), self.board.run(), self.committing())
        return [asyncio.create_task(job) for job in work]

    async def finish(self, background: list[asyncio.Task], timeout: float) -> bool:
        """End the run: spool the framers' last frames, send everything, tell the server the run
        ended. True when all of it was acknowledged within `timeout` seconds."""
        for framer in self.framers.values():
            framer.flush()
        self.commit()
        deadline = time.monotonic() + timeout
        while self.spool.backlog() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        drained = not self.spool.backlog()
        streamed = [address for address, framer in self.framers.items() if framer.stats.frames]
        ended = drained and await self.uplink.end(streamed, max(1.0, deadline - time.monotonic()))
        for task in background:
            task.cancel()
        return ended


async def _run(args: argparse.Namespace) -> int:
    agent = Agent(args)
    background = agent.start()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await agent.hello.wait()
    adapters = assign_adapters([item["ble_address"] for item in agent.config], args.adapter or ["hci0"],
                               args.per_adapter)
    for leggings in agent.config:
        address = leggings["ble_address"]
        if adapters[address] is None:
            log.warning("%s: no adapter free (%d each): add an --adapter, or another station",
                        leggings["serial"], args.per_adapter)
            continue
        agent.tasks[address] = asyncio.create_task(keep_streaming(
            address, lambda data, a=address: agent.on_notification(a, data), agent.links[address],
            on_drop=lambda a=address: agent.on_drop(a),
            on_state=lambda up, a=address: agent.uplink.set_radio(a, up),
            on_connect=lambda client, item=leggings: agent.sync_stored(client, item),
            adapter=adapters[address]))
    await stop.wait()
    for task in agent.tasks.values():
        task.cancel()
    ended = await agent.finish(background, args.drain_timeout)
    print("run ended: everything sent" if ended else "stopped with frames still spooled: they are sent "
          "on the next start", file=sys.stderr)
    return 0 if ended else 1


async def _sync(args: argparse.Namespace) -> int:
    """Each of the station's leggings in range: its stored runs to the server, then erased."""
    server = Server(server_urls(args)[0], args.token, args.ca_file)
    config = (await asyncio.to_thread(server.config))["leggings"]
    folder = runs_folder(args)
    failed = 0
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  disable=args.quiet) as bars:
        for leggings in config:
            bar = bars.add_task(leggings["serial"], total=None)

            def progress(what: str, done: int, total: int, bar=bar) -> None:
                bars.update(bar, description=what, completed=done, total=total)

            report = await sync_in_range(leggings["ble_address"], leggings, server, folder, progress)
            if report is None:
                bars.update(bar, description=f"{leggings['serial']}: not in range")
                continue
            failed += len(report.failed)
            for run_id, reason in report.failed.items():
                print(f"{report.serial} run {run_id}: kept on the leggings: {reason}", file=sys.stderr)
            print(f"{report.serial}: {len(report.stored)} runs stored", file=sys.stderr)
    return 1 if failed else 0


async def _simulate(args: argparse.Namespace) -> int:
    agent = Agent(args)
    background = agent.start()
    try:
        await asyncio.wait_for(agent.hello.wait(), args.connect_timeout)
    except TimeoutError:
        print(f"no answer from {agent.uplink.url} within {args.connect_timeout} s", file=sys.stderr)
        return 2
    wanted = set(args.leggings.split(",")) if args.leggings else None
    chosen = [(number, item) for number, item in enumerate(agent.config)  # each keeps its own runner
              if wanted is None or item["serial"] in wanted][: args.runners]
    if len(chosen) < args.runners:
        print(f"the station has {len(chosen)} leggings assigned; simulating those", file=sys.stderr)
    devices = []
    for number, leggings in chosen:
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
    ended = await agent.finish(background, args.drain_timeout)
    agent.board.print_summary()
    return 0 if ended else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stridesite-agent", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("scan", help="list leggings in range with RSSI and battery").add_argument(
        "--seconds", type=float, default=5.0)
    for name in ("run", "simulate", "sync"):
        p = sub.add_parser(name)
        p.add_argument("--server", required=True, action="append",
                       help="ws://host:port or wss://host of the StrideSite server; repeat (or separate "
                            "with commas) for several processes or proxies to fail over between")
        p.add_argument("--ca-file", help="CA certificate to trust for wss:// (a self-signed proxy)")
        p.add_argument("--drain-timeout", type=float, default=60.0,
                       help="seconds to send what is spooled when the run ends")
        p.add_argument("--token", default=os.environ.get("STRIDESITE_TOKEN", ""))
        p.add_argument("--spool", default=str(DEFAULT_SPOOL))
        p.add_argument("--quiet", action="store_true", help="no live status table")
        p.add_argument("--verbose", action="store_true")
    run = sub.choices["run"]
    run.add_argument("--adapter", action="append",
                     help="a BLE adapter to use (hci0, hci1, …; repeat for several; default hci0)")
    run.add_argument("--per-adapter", type=int, default=5,
                     help="leggings one adapter links at once (docs/ble-protocol.md, Adapters)")
    sim = sub.choices["simulate"]
    sim.add_argument("--runners", type=int, default=8)
    sim.add_argument("--leggings", default="", help="only these serials (comma-separated): another station "
                                                   "streams the others")
    sim.add_argument("--seconds", type=float, default=None, help="stream this long (default: forever)")
    sim.add_argument("--loss", type=float, default=0.0, help="fraction of BLE notifications lost")
    sim.add_argument("--rate", type=int, default=200)
    sim.add_argument("--disconnect-every", type=float, default=0.0, help="mean seconds between drops")
    sim.add_argument("--fade-every", type=float, default=0.0,
                     help="mean seconds between radio fades (each loses 40–240 ms of notifications)")
    sim.add_argument("--connect-timeout", type=float, default=30.0)
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
        command = {"run": _run, "simulate": _simulate, "sync": _sync}[args.command]
        return asyncio.run(command(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
