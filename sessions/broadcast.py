"""Live events to the browsers: batched ticks per squad and per runner, never raw samples.

The ingest connection collects each runner's new strides and status changes and sends
them every TICK_S as one channel-layer message per squad group and per runner group
(channels_redis drops past 100 queued messages per channel, so no per-sample traffic), each
event encoded to JSON once, however many boards show it.
Each stride event carries its number in the runner's session (ingest.live counts them across
a process change), so a client that sees a gap asks for a backfill; status events are states
(the next one or a backfill corrects a lost one) and carry no number.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from channels.layers import get_channel_layer

from metrics.core import Stride
from sessions.groups import runner_group, squad_group
from stridesite import operations

TICK_S = 0.02
PRESENCE_S = 1.0  # a connected station tells its runners' boards so this often
STRIDE_FIELDS = ("leg", "t_start", "t_end", "kickback_deg", "shank_back_deg", "knee_elevation_deg",
                 "cadence_spm", "contact_ms", "speed_mps", "pace_band", "zone", "symmetry_pct", "quality",
                 "trace")


def stride_event(stride, session_id: int) -> dict:
    """The JSON a browser gets for one stride (a Stride or a stored StrideRecord)."""
    if isinstance(stride, Stride):
        data = {name: getattr(stride, name) for name in STRIDE_FIELDS}
    else:
        data = {name: getattr(stride, name) for name in STRIDE_FIELDS
                if name not in ("zone", "symmetry_pct")}
        data["zone"] = {"kickback": stride.kickback_zone, "knee_elevation": stride.knee_elevation_zone}
        data["symmetry_pct"] = {"kickback": stride.kickback_symmetry_pct,
                                "knee_elevation": stride.knee_elevation_symmetry_pct}
    return {**data, "session": session_id}


def encode_events(events: list[dict]) -> list[bytes]:
    """Each event's JSON (orjson: a NaN becomes null, which browsers parse)."""
    return [orjson.dumps(event) for event in events]


def tick_message(encoded: list[bytes]) -> dict:
    """The channel-layer message of a tick: its events as JSON text, encoded once for every
    board that receives it (the layer copies a message per receiver: a string costs it nothing)."""
    return {"type": "live.tick", "events_json": (b"[" + b",".join(encoded) + b"]").decode()}


@dataclass
class Broadcaster:
    """Per ingest connection: queue events, flush them as ticks."""

    _queued: dict[int, list[dict]] = field(default_factory=lambda: defaultdict(list))
    _squads_of: dict[int, list[int]] = field(default_factory=dict)  # runner → squads, as last told
    _arrivals: list[float] = field(default_factory=list)  # of the queued strides' frames

    def stride(self, runner_id: int, squads: list[int], stride: Stride, session_id: int, number: int,
               arrived: float | None = None) -> None:
        """A stride's event, `number` in its session; `arrived` (time.monotonic) is when the frame
        that completed it came in."""
        self._queue(runner_id, squads, {"kind": "stride", "stride": stride_event(stride, session_id),
                                        "seq": number})
        if arrived is not None:
            self._arrivals.append(arrived)

    def status(self, runner_id: int, squads: list[int], status: str) -> None:
        self._queue(runner_id, squads, {"kind": "status", "status": status})

    def _queue(self, runner_id: int, squads: list[int], event: dict) -> None:
        self._squads_of[runner_id] = squads
        self._queued[runner_id].append({**event, "runner": runner_id})

    async def presence(self, station, devices) -> None:
        """The station is connected: each squad hears which of its runners come through it (the
        station's name only where the station's own coach coaches the squad)."""
        runners: dict[int, list[int]] = defaultdict(list)
        named: set[int] = set()
        for device in devices:
            if device.runner_id is not None:
                for squad_id in device.squad_ids:
                    runners[squad_id].append(device.runner_id)
                named.update(device.station_squad_ids)
        layer = get_channel_layer()
        for squad_id, ids in runners.items():
            await layer.group_send(squad_group(squad_id), {
                "type": "live.presence", "station": station.pk,
                "name": station.name if squad_id in named else None, "runners": ids})

    async def flush(self) -> int:
        """Send what is queued: one message per squad and per runner. Returns events sent."""
        if not self._queued:
            return 0
        queued, self._queued = self._queued, defaultdict(list)
        layer = get_channel_layer()
        per_squad: dict[int, list[bytes]] = defaultdict(list)
        for runner_id, events in queued.items():
            encoded = encode_events(events)
            await layer.group_send(runner_group(runner_id), tick_message(encoded))
            for squad_id in self._squads_of[runner_id]:
                per_squad[squad_id].extend(encoded)
        for squad_id, encoded in per_squad.items():
            await layer.group_send(squad_group(squad_id), tick_message(encoded))
        now, arrivals, self._arrivals = time.monotonic(), self._arrivals, []
        for arrived in arrivals:
            operations.BROADCAST.observe(now - arrived)
        return sum(len(events) for events in queued.values())
