"""The ingest websocket: an authenticated station streams binary frames, gets acks back."""

from __future__ import annotations

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from ingest import services
from ingest.protocol.frames import FrameError, decode

log = logging.getLogger(__name__)


class IngestConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.station = self.scope.get("station")
        if self.station is None:
            await self.close(code=4401)
            return
        self.devices: dict[str, services.DeviceIngest] = {}
        await self.accept()
        self.flusher = asyncio.create_task(self._flush_due())
        await self.channel_layer.group_add(services.station_group(self.station.pk), self.channel_name)
        await database_sync_to_async(services.close_idle_sessions)()
        config = await database_sync_to_async(services.station_config)(self.station)
        await self.send(text_data=json.dumps({"hello": config}))

    async def disconnect(self, code: int) -> None:
        if getattr(self, "flusher", None) is not None:
            self.flusher.cancel()
        for device in getattr(self, "devices", {}).values():
            await database_sync_to_async(device.flush)()
        if getattr(self, "station", None) is not None:
            await self.channel_layer.group_discard(services.station_group(self.station.pk), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is None:
            await self._error("expected a binary sample frame")
            return
        try:
            frame = decode(bytes_data)
        except FrameError as error:
            await self._error(str(error))
            return
        device = self.devices.setdefault(frame.address, services.DeviceIngest(self.station, frame.address))
        try:
            ack, _, _ = await database_sync_to_async(device.receive)(frame)
        except services.FrameRefused as error:
            await self._error(str(error))
            return
        if ack is not None:
            await self.send(text_data=json.dumps({"ack": {frame.address: ack}}))

    async def _flush_due(self) -> None:
        """Write and acknowledge frames that waited FLUSH_S (a device that went quiet)."""
        while True:
            await asyncio.sleep(services.DeviceIngest.FLUSH_S / 2)
            acks = {}
            for device in list(self.devices.values()):
                if device.due():
                    flushed = await database_sync_to_async(device.flush)()
                    if flushed is not None:
                        acks[device.address] = flushed
            if acks:
                await self.send(text_data=json.dumps({"ack": acks}))

    async def _error(self, message: str) -> None:
        log.warning("ingest station %s: %s", self.station.pk, message)
        await self.send(text_data=json.dumps({"error": message}))

    async def station_revoked(self, event: dict) -> None:
        await self.close(code=4403)
