"""The agent's live status table: per leggings state, RSSI, battery, samples/s, losses, backlog."""

from __future__ import annotations

import asyncio
import sys
import time

from rich.console import Console
from rich.live import Live
from rich.table import Table


class StatusBoard:
    def __init__(self, agent, quiet: bool) -> None:
        self.agent = agent
        self.quiet = quiet or not sys.stdout.isatty()
        self.devices: dict = {}
        self._last: dict[str, tuple[float, int]] = {}

    def table(self) -> Table:
        agent = self.agent
        table = Table(title=f"StrideSite agent → {agent.uplink.url} "
                            f"({'online' if agent.uplink.connected else 'OFFLINE'})")
        for column in ("leggings", "runner", "state", "RSSI", "battery", "samples/s", "lost notif.",
                       "bad packets", "backlog"):
            table.add_column(column)
        backlog = agent.spool.backlog()
        now = time.monotonic()
        for leggings in agent.config:
            address = leggings["ble_address"]
            framer, link = agent.framers[address], agent.links[address]
            then, count = self._last.get(address, (now, framer.stats.samples))
            rate = (framer.stats.samples - count) / (now - then) if now > then else 0.0
            self._last[address] = (now, framer.stats.samples)
            device = self.devices.get(address)
            battery = device.battery if device else link.battery
            table.add_row(leggings["ble_name"], leggings.get("runner") or "—",
                          "streaming" if link.connected else "disconnected",
                          str(link.rssi) if link.rssi is not None else "—",
                          f"{battery:.0f}%" if battery is not None else "—", f"{rate:.0f}",
                          str(framer.stats.lost_notifications), str(framer.stats.bad_packets),
                          str(backlog.get(address, 0)))
        return table

    async def run(self) -> None:
        if self.quiet:
            return
        with Live(self.table(), refresh_per_second=2, console=Console()) as live:
            while True:
                await asyncio.sleep(0.5)
                live.update(self.table())

    def print_summary(self) -> None:
        for address, framer in self.agent.framers.items():
            s = framer.stats
            print(f"{address}: {s.samples} samples in {s.frames} frames, "
                  f"{s.lost_notifications} notifications lost, {s.bad_packets} bad packets")
