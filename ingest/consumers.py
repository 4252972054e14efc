"""The ingest websocket: an authenticated station streams binary frames, gets acks back."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from ingest import services
from ingest.protocol.frames import FrameError, decode
from sessions.broadcast import PRESENCE_S, TICK_S, Broadcaster
from stridesite import operations
from stridesite.ws_budget import CLOSE_OVER_BUDGET, Budget
from stridesite.ws_dispatch import DirectDispatch

log = logging.getLogger(__name__)


def ingest_budget() -> Budget:
    """A station: up to ~60 leggings at 10 frames/s of ≤ 5 kB each, with room to replay its spool."""
    return Budget(messages_per_s=1000, bytes_per_s=4_000_000, errors_per_s=50)


INBOX_FRAMES = 1000  # frames taken from the socket but not yet handled; past this it stops reading
BATCH_FRAMES = 64  # frames handled in one trip to the database thread at most
GATHER_S = 0.01  # a frame waits this long for the rest of its burst (fewer, larger trips)


def _receive_all(batch: list) -> list:
    """Each (device, frame, arrival) of a batch into its device, a device's frames together (in
    their order): per frame its result, or the FrameRefused."""
    positions: dict[services.DeviceIngest, list[int]] = defaultdict(list)
    for k, (device, _, _) in enumerate(batch):
        positions[device].append(k)
    results: list = [None] * len(batch)
    for device, ks in positions.items():
        for k, result in zip(ks, device.receive_many([batch[k][1] for k in ks]), strict=True):
            results[k] = result
    return results


class IngestConsumer(DirectDispatch, AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.station = self.scope.get("station")
        if self.station is None:
            await self.close(code=4401)
            return
        self.devices: dict[str, services.DeviceIngest] = {}
        self.live = Broadcaster()
        self.budget = ingest_budget()
        self.closed = False
        await self.accept()
        operations.STATIONS.inc()
        self.counted = True
        self.inbox: asyncio.Queue = asyncio.Queue(INBOX_FRAMES)
        self.taker = asyncio.create_task(self._take_frames())
        self.flusher = asyncio.create_task(self._tick())
        await self.channel_layer.group_add(services.station_group(self.station.pk), self.channel_name)
        await database_sync_to_async(services.mark_seen)(self.station)
        await database_sync_to_async(services.close_idle_sessions)()
        config = await database_sync_to_async(services.station_config)(self.station)
        await self.send(text_data=json.dumps({"hello": config}))

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            operations.STATIONS.dec()
            operations.report_backlog(self.channel_name, None)
        for task in (getattr(self, "taker", None), getattr(self, "flusher", None)):
            if task is not None:
                task.cancel()
        if getattr(self, "devices", None):
            held = await database_sync_to_async(services.close_socket)(list(self.devices.values()))
            for device, number, stride in held:
                self.live.stride(device.runner_id, device.squad_ids, stride, device.session.pk, number)
        for device in getattr(self, "devices", {}).values():
            if device.runner_id is not None:
                self.live.status(device.runner_id, device.squad_ids, "station offline")
        if getattr(self, "live", None) is not None:
            await self.live.flush()
        if getattr(self, "station", None) is not None:
            await self.channel_layer.group_discard(services.station_group(self.station.pk), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        over = self.budget.spend(len(bytes_data if bytes_data is not None else (text_data or "").encode()))
        if over:
            await self._over_budget(over)
            return
        if bytes_data is None:
            await self._status_message(text_data or "")
            return
        try:
            frame = decode(bytes_data)
        except FrameError as error:
            await self._error(str(error))
            return
        await self.inbox.put((self._device(frame.address), frame, time.monotonic()))  # waits when full

    async def _take_frames(self) -> None:
        """Frames in the order they came, all those waiting in one trip to the database thread
        (a station sends its leggings' frames in bursts: one thread hop a burst, not a frame)."""
        while True:
            batch = [await self.inbox.get()]
            await asyncio.sleep(GATHER_S)
            while not self.inbox.empty() and len(batch) < BATCH_FRAMES:
                batch.append(self.inbox.get_nowait())
            results = await database_sync_to_async(_receive_all)(batch)
            for (device, frame, arrived), result in zip(batch, results, strict=True):
                if isinstance(result, services.FrameRefused):
                    await self._error(str(result))
                else:
                    await self._taken(device, frame, arrived, *result)

    async def _taken(self, device: services.DeviceIngest, frame, arrived: float, ack: int | None,
                     strides: list, session) -> None:
        """A frame a device took: its strides and status to the boards, an ack to the agent."""
        if session is not None:
            if device.announced != "streaming":
                device.announced = "streaming"
                self.live.status(device.runner_id, device.squad_ids, "streaming")
            operations.SAMPLES.inc(len(frame.indices))
            operations.STRIDES.inc(len(strides))
            for number, stride in strides:
                self.live.stride(device.runner_id, device.squad_ids, stride, session.pk, number, arrived)
        if ack is not None:
            await self.send(text_data=json.dumps({"ack": {frame.address: ack}}))

    def _device(self, address: str) -> services.DeviceIngest:
        device = self.devices.get(address)
        if device is None:
            device = self.devices[address] = services.DeviceIngest(self.station, address)
        return device

    async def _status_message(self, text: str) -> None:
        """`{"status": {"AA:…": "connected" | "disconnected"}, "backlog": {"AA:…": frames}}` from
        the agent's radio side and its spool (the backlog is optional), or `{"end": ["AA:…"]}`
        when the agent's run ended with everything sent."""
        try:
            message = json.loads(text)
            if isinstance(message, dict) and isinstance(message.get("end"), list):
                await self._end(message["end"])
                return
            states, backlog = message["status"], message.get("backlog", {})
        except (ValueError, KeyError, TypeError, AttributeError):
            states = backlog = None
        if not isinstance(states, dict) or not isinstance(backlog, dict):
            await self._error("expected a binary sample frame or a status message")
            return
        frames = [n for n in backlog.values() if type(n) is int and 0 <= n < 2**31]
        operations.report_backlog(self.channel_name, sum(frames))
        for address, state in states.items():
            device = self._device(str(address))
            if device.runner_id is None:
                try:
                    await database_sync_to_async(device.refresh)()
                except services.FrameRefused as error:
                    await self._error(str(error))
                    continue
            announced = "streaming" if state == "connected" else "leggings disconnected"
            if device.announced != announced:
                device.announced = announced
                self.live.status(device.runner_id, device.squad_ids, announced)

    async def _end(self, addresses: list) -> None:
        """Close the sessions of a run the agent ended; answer `{"ended": [...]}`."""
        ended = []
        for address in addresses[:1000]:
            if not isinstance(address, str):
                continue
            device = self._device(address)
            try:
                last = await database_sync_to_async(device.end)()
            except services.FrameRefused as error:
                await self._error(str(error))
                continue
            for number, stride, session in last:
                self.live.stride(device.runner_id, device.squad_ids, stride, session.pk, number)
            device.announced = "idle"
            self.live.status(device.runner_id, device.squad_ids, "idle")
            ended.append(address)
        await self.live.flush()
        await self.send(text_data=json.dumps({"ended": ended}))

    async def _tick(self) -> None:
        """Every TICK_S: live events out; frames written and acknowledged once due (services).
        Every PRESENCE_S the boards hear that this station is connected, and every SEEN_EVERY_S
        the database (for boards that connect later, on any process)."""
        said = seen = time.monotonic()
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            if now - said >= PRESENCE_S:
                said = now
                await self.live.presence(self.station, self.devices.values())
            if now - seen >= services.SEEN_EVERY_S:
                seen = now
                await database_sync_to_async(services.mark_seen)(self.station)
            # When one leggings' frames are due, every leggings' pending frames go in the same
            # commit: the station's leggings then keep in step, a commit or two a second.
            acks = {}
            if any(device.due() for device in self.devices.values()):
                acks = await database_sync_to_async(services.flush_together)(list(self.devices.values()))
            if acks:
                await self.send(text_data=json.dumps({"ack": acks}))
            await self.live.flush()

    async def _error(self, message: str) -> None:
        """Tell the agent what was refused; one that keeps sending refused messages is cut off."""
        over = self.budget.error()
        if over:
            await self._over_budget(over)
            return
        log.info("ingest station %s: %s", self.station.pk, message)
        await self.send(text_data=json.dumps({"error": message}))

    async def _over_budget(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        log.warning("ingest station %s closed: %s", self.station.pk, reason)
        await self.send(text_data=json.dumps({"error": f"closed: {reason}"}))
        await self.close(code=CLOSE_OVER_BUDGET)

    async def station_revoked(self, event: dict) -> None:
        await self.close(code=4403)
