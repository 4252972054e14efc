"""Sync: runs recorded on the leggings' flash → the server → erased (docs/ble-protocol.md).

Per leggings: list its stored runs; for each, ask the server its state (already stored: just
erase it); read it in windows from the bytes already held — kept in a part file beside the
spool, so a dropped link or a restarted agent resumes where it was — each notification's CRC
checked; turn it to the nominal frames with the leggings' mounting; send it in parts; ask until
the server says it is stored; only then erase it from the leggings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from bleak import BleakClient
from bleak.exc import BleakError

from ingest.agent.framer import mounting_matrix, to_nominal
from ingest.agent.uplink import with_scheme
from ingest.protocol import ble, runs

log = logging.getLogger(__name__)
WINDOW = 64 * 1024  # bytes asked for at a time
WINDOW_TIMEOUT_S = 10.0
PART_BYTES = 2 * 1024 * 1024  # the server takes a run file in parts of at most this
STORED_WITHIN_S = 300.0  # how long to wait for the server to analyse a run


class SyncError(RuntimeError):
    """The server refused a run or could not store it; the run stays on the leggings."""


class Server:
    """The server's HTTP side for agents (ingest/views.py), by station token."""

    def __init__(self, url: str, token: str, ca_file: str | None = None) -> None:
        self.base = with_scheme(url, socket=False).rstrip("/")
        self.token = token
        self.context = ssl.create_default_context(cafile=ca_file) if ca_file else None

    def _call(self, method: str, path: str, body: bytes | None = None) -> dict:
        request = urllib.request.Request(  # noqa: S310 (the operator's http(s) server)
            self.base + path, data=body, method=method, headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=60, context=self.context) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise SyncError(f"{method} {path}: {error.code} {detail}") from None

    def config(self) -> dict:
        return self._call("GET", "/ingest/station/")

    def offer(self, serial: str, info: runs.RunInfo) -> dict:
        return self._call("POST", "/ingest/runs/", json.dumps({"serial": serial, **asdict(info)}).encode())

    def part(self, upload: int, offset: int, data: bytes) -> dict:
        return self._call("PUT", f"/ingest/runs/uploads/{upload}/?offset={offset}", data)

    def finish(self, upload: int) -> dict:
        return self._call("POST", f"/ingest/runs/uploads/{upload}/finish/", b"")


@dataclass
class _Listener:
    """Run-data notifications of one link: the list, chunks written in order to a part file,
    erase answers."""

    listed: list[runs.RunInfo] = field(default_factory=list)
    listed_all: asyncio.Event = field(default_factory=asyncio.Event)
    erased: asyncio.Queue = field(default_factory=asyncio.Queue)
    part: object = None  # the open part file of the run being read
    run_id: int = -1
    held: int = 0  # bytes of that run in the part file
    moved: asyncio.Event = field(default_factory=asyncio.Event)  # new bytes (or a bad chunk)
    bad: int = 0
    dropped: bool = False
    on_bytes: Callable[[int], None] = lambda n: None

    def drop(self) -> None:
        """The link went away: whatever waits for data stops waiting."""
        self.dropped = True
        self.moved.set()

    def __call__(self, _, data: bytearray) -> None:
        try:
            kind, value = runs.decode(bytes(data))
        except ble.PacketError as error:
            log.warning("run data: %s", error)
            self.bad += 1
            self.moved.set()
            return
        if kind == runs.KIND_ENTRY:
            self.listed.append(value)
        elif kind == runs.KIND_LIST_END:
            self.listed_all.set()
        elif kind == runs.KIND_ERASED:
            self.erased.put_nowait(value)
        else:
            run_id, offset, payload = value
            if run_id == self.run_id and offset == self.held and self.part is not None:
                self.part.write(payload)
                self.held += len(payload)
                self.on_bytes(len(payload))
            self.moved.set()


@dataclass
class Report:
    serial: str
    stored: list[int] = field(default_factory=list)  # run ids stored (now or before) and erased
    failed: dict[int, str] = field(default_factory=dict)


async def sync_in_range(address: str, leggings: dict, server: Server, folder: Path,
                        progress: Callable[[str, int, int], None] = lambda *a: None,
                        attempts: int = 10) -> Report | None:
    """Connect to the leggings and sync them, reconnecting and resuming after each drop; None if
    they could not be reached (out of range)."""
    delay, report = 0.5, Report(leggings["serial"])  # across the links: runs done before a drop count
    for _ in range(attempts):
        listener = _Listener()
        client = BleakClient(address, timeout=10.0, disconnected_callback=lambda _, lis=listener: lis.drop())
        try:
            await client.connect()
            return await sync_leggings(client, leggings, server, folder, progress, listener, report)
        except (BleakError, TimeoutError, ConnectionError, OSError) as error:
            log.info("%s: %s; trying again", address, error or type(error).__name__)
        finally:
            with contextlib.suppress(Exception):  # already gone
                await client.disconnect()
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)
    return None


async def sync_leggings(client: BleakClient, leggings: dict, server: Server, folder: Path,
                        progress: Callable[[str, int, int], None] = lambda *a: None,
                        listener: _Listener | None = None, report: Report | None = None) -> Report:
    """Every run stored on these connected leggings to the server, then erased from them;
    `progress(what, bytes read, bytes to read)` as it goes. Raises on a dropped link
    (ConnectionError, BleakError, TimeoutError): call again, it resumes."""
    listener = listener or _Listener()
    await client.start_notify(runs.RUN_DATA_UUID, listener)
    await client.write_gatt_char(ble.CONTROL_POINT_UUID, runs.control_list(), response=True)
    await asyncio.wait_for(listener.listed_all.wait(), WINDOW_TIMEOUT_S)
    serial, listed = leggings["serial"], listener.listed
    report = report or Report(serial)
    tally = [0, sum(info.size_bytes for info in listed)]  # bytes read, to read

    def read(n: int) -> None:
        tally[0] += n
        progress(f"{serial}: reading run {number}/{len(listed)}", *tally)

    listener.on_bytes = read
    for number, info in enumerate(listed, start=1):
        part_path = folder / f"{serial}-{info.run_id}.part"
        state = await asyncio.to_thread(server.offer, serial, info)
        if state["state"] != "stored":
            tally[0] += await _read(client, listener, info, part_path)
            progress(f"{serial}: run {number}/{len(listed)} sent, being analysed", *tally)
            state = await asyncio.to_thread(_store, server, serial, info, part_path, leggings.get("mounting"))
        else:
            tally[0] += info.size_bytes
        if state["state"] != "stored":
            report.failed[info.run_id] = state.get("error", state["state"])
            continue
        await client.write_gatt_char(ble.CONTROL_POINT_UUID, runs.control_erase(info.run_id), response=True)
        if await asyncio.wait_for(listener.erased.get(), WINDOW_TIMEOUT_S) == info.run_id:
            report.stored.append(info.run_id)
            part_path.unlink(missing_ok=True)
        progress(f"{serial}: run {number}/{len(listed)} stored and erased", *tally)
    await client.stop_notify(runs.RUN_DATA_UUID)
    return report


async def _read(client: BleakClient, listener: _Listener, info: runs.RunInfo, part_path: Path) -> int:
    """The run's bytes into its part file, from what it holds already; returns the bytes it
    already held (the listener counts the rest as they arrive)."""
    part_path.parent.mkdir(parents=True, exist_ok=True)
    part_path.touch()
    held = min(part_path.stat().st_size, info.size_bytes)
    with open(part_path, "r+b") as part:
        part.truncate(held)
        part.seek(held)
        listener.part, listener.run_id, listener.held = part, info.run_id, held
        try:
            while listener.held < info.size_bytes:
                start = listener.held
                until = min(start + WINDOW, info.size_bytes)
                command = runs.control_read(info.run_id, start, until - start)
                await client.write_gatt_char(ble.CONTROL_POINT_UUID, command, response=True)
                while listener.held < until:
                    listener.moved.clear()
                    before, bad = listener.held, listener.bad
                    await asyncio.wait_for(listener.moved.wait(), WINDOW_TIMEOUT_S)
                    if listener.dropped:
                        raise ConnectionError("the link dropped")
                    if listener.bad > bad and listener.held == before:
                        break  # a chunk failed its CRC: ask again from what is held
                part.flush()
        finally:
            listener.part = None
    return held


def _store(server: Server, serial: str, info: runs.RunInfo, part_path: Path, mounting: dict | None) -> dict:
    """Send the run (in the nominal frames) and wait until the server has analysed and stored it."""
    raw = np.frombuffer(part_path.read_bytes(), dtype="<i2").reshape(-1, 24)
    values = to_nominal(mounting_matrix(mounting), raw * ble.lsb(info.accel_range_g, info.gyro_range_dps))
    body = runs.encode_file(info, ble.quantise(values, info.accel_range_g, info.gyro_range_dps))
    deadline = time.monotonic() + STORED_WITHIN_S
    state = server.offer(serial, info)
    while state["state"] not in ("stored", "failed") and time.monotonic() < deadline:
        if state["state"] == "receiving":
            held = state["held"]
            while held < len(body):
                held = server.part(state["upload"], held, body[held:held + PART_BYTES])["held"]
            state = server.finish(state["upload"])
        else:
            time.sleep(0.2)
            state = server.offer(serial, info)
    return state
