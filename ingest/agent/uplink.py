"""The agent's websocket to the server: send spooled frames in order, forget them when acked.

On every (re)connect the server says hello with the station's leggings and the next
frame seq it expects for each; the agent then replays everything still in its spool,
in order. Given several server URLs (processes of one deployment, or proxies), a lost or
refused connection moves on to the next one at once; only after every URL failed does it
back off exponentially (0.5 s … 10 s). When the run ends with everything acknowledged, the
agent says so, and the server closes the run's sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import ssl
import time
from collections.abc import Callable, Sequence

import websockets

from ingest.agent.spool import Spool
from ingest.protocol import frames

log = logging.getLogger(__name__)
WINDOW = 64  # frames in flight per connection before waiting for acks
BACKLOG_EVERY_S = 5.0  # the spool's backlog goes to the server this often


SCHEMES = (("https://", "wss://"), ("http://", "ws://"))  # a page's scheme, its sockets'


def with_scheme(server: str, socket: bool) -> str:
    """A server's address, given either way, with the websocket scheme (`socket`) or the page's."""
    for page, ws in SCHEMES:
        old, new = (page, ws) if socket else (ws, page)
        if server.startswith(old):
            return new + server.removeprefix(old)
    return server


def websocket_url(server: str) -> str:
    """The ingest socket's URL at a server given as ws(s):// or, as an operator may write it, http(s)://."""
    return with_scheme(server, socket=True).rstrip("/") + "/ws/ingest/"


class Uplink:
    def __init__(self, servers: Sequence[str], token: str, spool: Spool,
                 on_hello: Callable[[dict], None] | None = None, ca_file: str | None = None) -> None:
        self.urls = [websocket_url(server) for server in servers]
        self.url = self.urls[0]  # the one in use, or tried next
        self.ssl = ssl.create_default_context(cafile=ca_file) if ca_file else None
        self.token = token
        self.spool = spool
        self.on_hello = on_hello
        self.connected = False
        self.acked: dict[str, int] = {}
        self.errors: list[str] = []
        self._wake = asyncio.Event()
        self._sent: dict[str, int] = {}
        self._radio: dict[str, str] = {}  # leggings → "connected" | "disconnected"
        self._radio_dirty = False
        self._ending: list[str] | None = None
        self._ended = asyncio.Event()

    def set_radio(self, address: str, connected: bool) -> None:
        """Tell the server (and so the live board) whether the leggings' BLE link is up."""
        self._radio[address] = "connected" if connected else "disconnected"
        self._radio_dirty = True
        self._wake.set()

    def kick(self) -> None:
        """New frames are in the spool."""
        self._wake.set()

    async def end(self, addresses: list[str], timeout: float) -> bool:
        """Once the spool is empty, tell the server the run of these leggings ended; True when it
        confirmed within `timeout` seconds."""
        self._ending = list(addresses)
        self._wake.set()
        try:
            await asyncio.wait_for(self._ended.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def run(self) -> None:
        delay, failed = 0.5, 0
        for turn in itertools.count():
            self.url = self.urls[turn % len(self.urls)]
            extra = {"ssl": self.ssl} if self.ssl is not None and self.url.startswith("wss:") else {}
            try:
                async with websockets.connect(
                    self.url, additional_headers={"Authorization": f"Bearer {self.token}"},
                    max_size=2**22, ping_interval=5, ping_timeout=10, open_timeout=5, **extra,
                ) as ws:
                    await self._session(ws)
            except asyncio.CancelledError:
                raise
            except (OSError, websockets.WebSocketException) as error:
                log.info("uplink %s: %s", self.url, error)
            if self.connected:  # it had worked: try the next URL at once, from a fresh round
                delay, failed = 0.5, 0
            self.connected = False
            failed += 1
            if failed % len(self.urls) == 0:  # every URL failed once more: back off
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _session(self, ws) -> None:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 10))["hello"]
        for leggings in hello["leggings"]:
            address, expected = leggings["ble_address"], leggings["next_seq"]
            self.acked[address] = expected - 1
            self.spool.ack(address, expected - 1)  # the server already has these
            pending = self.spool.pending(address, limit=1)
            if self.spool.next_seq(address) < expected and not pending:
                self.spool.append_marker(address, expected)
            elif (pending[0][1] if pending else self.spool.next_seq(address)) > expected:
                log.warning("%s: server expects frame %d, ours start later: renumbering", address, expected)
                self.spool.renumber(address, expected, frames.SEQ_OFFSET)
        if self.on_hello:
            self.on_hello(hello)
        self.connected = True
        self._sent = dict(self.acked)
        self._radio_dirty = bool(self._radio)
        receiver = asyncio.create_task(self._receive(ws))
        reported, end_said = 0.0, False
        try:
            while True:
                if self._radio_dirty or time.monotonic() - reported > BACKLOG_EVERY_S:
                    # The leggings' radio state, and how many frames the spool still holds (operators
                    # watch it on the server's /metrics).
                    self._radio_dirty, reported = False, time.monotonic()
                    await ws.send(json.dumps({"status": self._radio, "backlog": self.spool.backlog()}))
                await self._send_pending(ws)
                if self._ending is not None and not end_said and not self.spool.backlog():
                    await ws.send(json.dumps({"end": self._ending}))  # again on a new connection
                    end_said = True
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.1)
                if receiver.done():
                    receiver.result()
                    return
        finally:
            receiver.cancel()

    async def _send_pending(self, ws) -> None:
        for address in {*self.spool.backlog(), *self._sent}:
            after = self._sent.get(address, -1)
            room = WINDOW - (after - self.acked.get(address, -1))
            if room <= 0:
                continue
            for _, seq, payload in self.spool.pending(address, after=after, limit=room):
                await ws.send(payload)
                self._sent[address] = seq

    async def _receive(self, ws) -> None:
        async for message in ws:
            reply = json.loads(message)
            for address, seq in reply.get("ack", {}).items():
                self.acked[address] = max(self.acked.get(address, -1), seq)
                self.spool.ack(address, seq)
            if "ended" in reply:
                self._ending = None
                self._ended.set()
            if "error" in reply:
                self.errors.append(reply["error"])
                log.warning("server: %s", reply["error"])
            self._wake.set()
