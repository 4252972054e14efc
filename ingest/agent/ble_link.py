"""The radio side, with bleak: scan for leggings, keep each one connected and streaming.

Each leggings gets its own task: connect, read the battery, subscribe to the IMU-data
characteristic, start streaming through the control point; on a drop, disconnect
cleanly (bleak keeps the old D-Bus socket otherwise) and reconnect with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bleak import BleakClient, BleakScanner

from ingest.protocol import ble

log = logging.getLogger(__name__)


@dataclass
class Seen:
    address: str
    name: str
    rssi: int
    battery: int | None


async def scan(seconds: float = 5.0) -> list[Seen]:
    """Leggings advertising our service or name prefix, with RSSI and advertised battery."""
    found = await BleakScanner.discover(timeout=seconds, return_adv=True)
    out = []
    for device, adv in found.values():
        name = adv.local_name or device.name or ""
        if ble.SERVICE_UUID not in adv.service_uuids and not name.startswith(ble.NAME_PREFIX):
            continue
        data = adv.service_data
        battery = data.get(ble.BATTERY_LEVEL_UUID) or data.get(ble.BATTERY_SERVICE_UUID)
        out.append(Seen(device.address, name, adv.rssi, battery[0] if battery else None))
    return sorted(out, key=lambda s: s.name)


@dataclass
class LinkState:
    connected: bool = False
    rssi: int | None = None
    battery: int | None = None
    reconnects: int = 0


def assign_adapters(addresses: list[str], adapters: list[str], per_adapter: int) -> dict[str, str | None]:
    """Which adapter links each leggings: in turn over the adapters, at most `per_adapter` each
    (docs/ble-protocol.md, "Adapters"); None for leggings beyond what the adapters hold."""
    slots = [adapter for _ in range(per_adapter) for adapter in adapters]
    return {address: slots[n] if n < len(slots) else None for n, address in enumerate(addresses)}


async def keep_streaming(address: str, on_notification: Callable[[bytes], None], state: LinkState,
                         rate_hz: int = 200, on_drop: Callable[[], None] | None = None,
                         on_state: Callable[[bool], None] | None = None,
                         on_connect: Callable[[BleakClient], Awaitable[None]] | None = None,
                         adapter: str | None = None) -> None:
    """Connect (through `adapter`, or the system's default), stream, reconnect on any drop, until
    cancelled. `on_connect` runs on each link before streaming starts (the agent syncs runs
    stored on the leggings there)."""
    delay = 0.5
    while True:
        dropped = asyncio.Event()
        client = BleakClient(address, timeout=10.0, bluez={"adapter": adapter} if adapter else {},
                             disconnected_callback=lambda _, event=dropped: event.set())
        try:
            await client.connect()
            state.connected, delay = True, 0.5
            try:
                state.battery = (await client.read_gatt_char(ble.BATTERY_LEVEL_UUID))[0]
            except Exception:  # noqa: BLE001 — battery is optional
                state.battery = None
            if on_connect:
                await on_connect(client)
            await client.start_notify(ble.IMU_DATA_UUID, lambda _, data: on_notification(bytes(data)))
            await client.write_gatt_char(ble.CONTROL_POINT_UUID, ble.control_start(rate_hz), response=True)
            if on_state:
                on_state(True)
            await dropped.wait()
            log.info("%s: disconnected", address)
        except asyncio.CancelledError:
            await _quietly_disconnect(client)
            raise
        except Exception as error:  # noqa: BLE001 — any radio failure means: try again later
            log.info("%s: %s", address, error)
        state.connected = False
        state.reconnects += 1
        if on_state:
            on_state(False)
        if on_drop:
            on_drop()
        await _quietly_disconnect(client)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 10.0)


async def _quietly_disconnect(client: BleakClient) -> None:
    with contextlib.suppress(Exception):  # already gone
        await client.disconnect()
