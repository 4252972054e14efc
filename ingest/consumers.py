"""The ingest websocket: an authenticated station streams binary frames, gets acks back."""

from __future__ import annotations

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
        await self.channel_layer.group_add(services.station_group(self.station.pk), self.channel_name)
        await database_sync_to_async(services.close_idle_sessions)()
        config = await database_sync_to_async(services.station_config)(self.station)
        await self.send(text_data=json.dumps({"hello": config}))

    async def disconnect(self, code: int) -> None:
        for device in getattr(self, "devices", {}).values():
            await database_sync_to_async(device.save_progress)()
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
            stored = await database_sync_to_async(device.store)(frame)
        except services.FrameRefused as error:
            await self._error(str(error))
            return
        await self.send(text_data=json.dumps({"ack": {frame.address: stored.ack}}))

    async def _error(self, message: str) -> None:
        log.warning("ingest station %s: %s", self.station.pk, message)
        await self.send(text_data=json.dumps({"error": message}))

    async def station_revoked(self, event: dict) -> None:
        await self.close(code=4403)
