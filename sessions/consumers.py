"""Browser websocket for live streaming: subscribe to a squad or a runner, receive their events.

Every subscription is checked against stridesite.permissions before `group_add`.
"""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from sessions.groups import runner_group, squad_group
from sessions.live_state import runner_snapshot, squad_snapshot
from stridesite import operations
from stridesite.permissions import coached_squads, visible_runners
from stridesite.ws_budget import CLOSE_OVER_BUDGET, Bucket, Budget
from stridesite.ws_dispatch import DirectDispatch

MAX_GROUPS = 32  # a board watches one squad, a close-up one runner


@database_sync_to_async
def _may_watch(user, kind: str, object_id: int) -> bool:
    if kind == "squad":
        return coached_squads(user).filter(pk=object_id).exists()
    return visible_runners(user).filter(pk=object_id).exists()


@database_sync_to_async
def _snapshot(user, kind: str, object_id: int) -> list[dict]:
    """Backfill, re-checking access: [] when the user may not watch."""
    if kind == "squad":
        squad = coached_squads(user).filter(pk=object_id).first()
        return squad_snapshot(squad) if squad else []
    runner = visible_runners(user).filter(pk=object_id).first()
    return [runner_snapshot(runner)] if runner else []


MAX_ID = 2**63 - 1  # database primary keys


def _is_id(value) -> bool:
    """A JSON integer that can be a primary key (`true` is not one, nor 1e400, nor -1)."""
    return type(value) is int and 0 < value <= MAX_ID


class LiveConsumer(DirectDispatch, AsyncJsonWebsocketConsumer):
    """Messages in: `{"subscribe": "squad"|"runner", "id": N}`, `{"unsubscribe": …, "id": N}`,
    `{"backfill": "squad"|"runner", "id": N}` (after a gap in a runner's event numbers).

    Messages out: `subscribed`, then `backfill` (every runner's last minute), then `tick`
    (batched live events; strides numbered in their session), `presence` (each second from each
    connected station: the runners that come through it), `zones` (a coach changed a runner's
    zones), `unsubscribed`, `error`.
    """

    async def connect(self) -> None:
        self.groups_joined: set[str] = set()
        # A page sends a few messages a minute; subscribe and backfill read the database.
        self.budget = Budget(messages_per_s=5, bytes_per_s=20_000, errors_per_s=1)
        self.lookups = Bucket(rate=0.5, burst=10)
        self.closed = False
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        await self.accept()
        operations.BOARDS.inc()
        self.counted = True

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            operations.BOARDS.dec()
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        """Every message is checked before it is acted on: what is not a JSON object gets an error
        frame and the socket lives on (never a 1011 from a decoding error); a client over its
        budget is closed with CLOSE_OVER_BUDGET."""
        if self.closed:
            return
        over = self.budget.spend(len(text_data or "") + len(bytes_data or b""))
        if over:
            await self._over_budget(over)
            return
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self._refuse("expected a JSON object")
            return
        await self.receive_json(content)

    async def _refuse(self, error: str, **extra) -> None:
        over = self.budget.error()
        if over:
            await self._over_budget(over)
            return
        await self.send_json({"type": "error", "error": error, **extra})

    async def _over_budget(self, reason: str) -> None:
        self.closed = True
        await self.send_json({"type": "error", "error": f"closed: {reason}"})
        await self.close(code=CLOSE_OVER_BUDGET)

    async def receive_json(self, content, **kwargs) -> None:
        action = next((a for a in ("subscribe", "unsubscribe", "backfill") if a in content), "subscribe")
        kind = content.get(action)
        object_id = content.get("id")
        if kind not in ("squad", "runner") or not _is_id(object_id):
            await self._refuse("expected {subscribe: squad|runner, id: int}")
            return
        group = squad_group(object_id) if kind == "squad" else runner_group(object_id)
        if action == "unsubscribe":
            await self._leave(group)
            return
        if not self.lookups.take():
            await self._over_budget("too many subscribe/backfill requests")
            return
        if action == "backfill":
            if group in self.groups_joined:
                await self._backfill(kind, object_id)
            return
        if group not in self.groups_joined and len(self.groups_joined) >= MAX_GROUPS:
            await self._refuse(f"at most {MAX_GROUPS} subscriptions per connection")
            return
        if not await _may_watch(self.scope["user"], kind, object_id):
            await self._refuse("not found", **{kind: object_id})
            return
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)
        await self.send_json({"type": "subscribed", kind: object_id})
        await self._backfill(kind, object_id)

    async def _backfill(self, kind: str, object_id: int) -> None:
        runners = await _snapshot(self.scope["user"], kind, object_id)
        await self.send_json({"type": "backfill", kind: object_id, "runners": runners})

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    async def live_tick(self, message: dict) -> None:
        """A batch of numbered live events (strides, status) from an ingest connection, as JSON
        (sessions.broadcast.tick_message)."""
        await self.send(text_data=f'{{"type": "tick", "events": {message["events_json"]}}}')

    async def live_presence(self, message: dict) -> None:
        """A station is connected and these runners come through it (Broadcaster.presence)."""
        await self.send_json({"type": "presence", "station": message["station"], "name": message["name"],
                              "runners": message["runners"]})

    async def live_zones(self, message: dict) -> None:
        """A coach changed a runner's zones (athletes.services.announce_zones)."""
        await self.send_json({"type": "zones", "runner": message["runner"], "zones": message["zones"]})

    async def access_revoked(self, message: dict) -> None:
        """Sent to a group when a viewer loses access: re-check and drop what is no longer allowed."""
        kind, object_id = message["kind"], message["id"]
        group = squad_group(object_id) if kind == "squad" else runner_group(object_id)
        if group in self.groups_joined and not await _may_watch(self.scope["user"], kind, object_id):
            await self._leave(group)
            await self.send_json({"type": "unsubscribed", kind: object_id, "reason": "access revoked"})
