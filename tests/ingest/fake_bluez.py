"""An emulated BlueZ on a private D-Bus, so bleak's real BlueZ backend runs end to end.

Only the radio is fake: a private `dbus-daemon`, and an `org.bluez` service (dbus-fast)
with an adapter that discovers, leggings that connect, serve GATT, notify real
notification bytes at the device's pace, and drop the link when told to. The facts this
relies on are in ../shared/NOTES.md ("bleak's real BlueZ backend runs against an
emulated BlueZ").
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

from dbus_fast import BusType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

from ingest.agent.virtual import VirtualLeggings
from ingest.protocol import ble, runs

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


def start_bus(tmp: Path) -> tuple[subprocess.Popen, str]:
    """A private system-type bus; returns the daemon and its address."""
    config = tmp / "bus.conf"
    config.write_text(CONFIG.format(socket=tmp / "bus.sock"))
    daemon = subprocess.Popen(  # noqa: S603
        ["/usr/bin/dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    return daemon, daemon.stdout.readline().strip()


# A BLE link moves ~100 kB/s of notifications (2M PHY, data-length extension, a 7.5 ms
# connection interval with several packets per event); the emulated link keeps that pace.
LINK_BYTES_PER_S = 100_000
LINK_BURST = 16


class Adapter(ServiceInterface):
    def __init__(self, bluez: FakeBlueZ, name: str = "hci0", number: int = 0) -> None:
        super().__init__("org.bluez.Adapter1")
        self.bluez, self.adapter_name, self.number = bluez, name, number  # (ServiceInterface owns .name)
        self._discovering = False

    @method()
    def StartDiscovery(self):
        self._discovering = True
        self.emit_properties_changed({"Discovering": True})
        self.bluez.advertise()

    @method()
    def StopDiscovery(self):
        self._discovering = False
        self.emit_properties_changed({"Discovering": False})

    @method()
    def SetDiscoveryFilter(self, properties: "a{sv}"):
        return

    @method()
    def RemoveDevice(self, device: "o"):
        return

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> "s":
        return f"00:1A:7D:DA:71:{0x13 + self.number:02X}"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> "s":
        return self.adapter_name

    @dbus_property(access=PropertyAccess.READ)
    def Powered(self) -> "b":
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Discovering(self) -> "b":
        return self._discovering

    @dbus_property(access=PropertyAccess.READ)
    def Roles(self) -> "as":
        return ["central", "peripheral"]


class Device(ServiceInterface):
    def __init__(self, leggings: FakeLeggings) -> None:
        super().__init__("org.bluez.Device1")
        self.leggings = leggings
        self.connected = False
        self.resolved = False
        self.rssi = -58

    @method()
    async def Connect(self):
        self.connected = True
        self.emit_properties_changed({"Connected": True})
        await asyncio.sleep(0.01)
        self.resolved = True
        self.emit_properties_changed({"ServicesResolved": True})
        self.leggings.connects += 1

    @method()
    def Disconnect(self):
        self.leggings.drop()

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> "s":
        return self.leggings.address

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> "s":
        return "public"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> "s":
        return self.leggings.name

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> "s":
        return self.leggings.name

    @dbus_property(access=PropertyAccess.READ)
    def Adapter(self) -> "o":
        return "/org/bluez/" + self.leggings.adapter

    @dbus_property(access=PropertyAccess.READ)
    def Connected(self) -> "b":
        return self.connected

    @dbus_property(access=PropertyAccess.READ)
    def ServicesResolved(self) -> "b":
        return self.resolved

    @dbus_property(access=PropertyAccess.READ)
    def Paired(self) -> "b":
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Bonded(self) -> "b":
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Trusted(self) -> "b":
        return False

    @dbus_property(access=PropertyAccess.READ)
    def RSSI(self) -> "n":
        return self.rssi

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> "as":
        return [ble.SERVICE_UUID, ble.BATTERY_SERVICE_UUID]

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> "a{qv}":
        return {}

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> "a{sv}":
        return {ble.BATTERY_SERVICE_UUID: Variant("ay", bytes([self.leggings.battery]))}


class GattService(ServiceInterface):
    def __init__(self, uuid: str, device_path: str) -> None:
        super().__init__("org.bluez.GattService1")
        self.uuid, self.device_path = uuid, device_path

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Device(self) -> "o":
        return self.device_path

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> "b":
        return True


class GattCharacteristic(ServiceInterface):
    def __init__(self, uuid: str, service_path: str, flags: list[str], leggings: FakeLeggings) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self.uuid, self.service_path, self.flags, self.leggings = uuid, service_path, flags, leggings
        self.value = b""
        self.notifying = False

    @method()
    def ReadValue(self, options: "a{sv}") -> "ay":
        if self.uuid == ble.BATTERY_LEVEL_UUID:
            return bytes([self.leggings.battery])
        return self.value

    @method()
    def WriteValue(self, value: "ay", options: "a{sv}"):
        if self.uuid != ble.CONTROL_POINT_UUID:
            return
        if value[:1] == bytes([ble.OP_START]):
            self.leggings.start_streaming()
        elif value[:1] in (bytes([runs.OP_LIST]), bytes([runs.OP_READ]), bytes([runs.OP_ERASE])):
            self.leggings.run_command(bytes(value))

    @method()
    def StartNotify(self):
        self.notifying = True
        self.emit_properties_changed({"Notifying": True})

    @method()
    def StopNotify(self):
        self.notifying = False
        self.emit_properties_changed({"Notifying": False})

    def notify(self, data: bytes) -> None:
        self.value = data
        self.emit_properties_changed({"Value": data})

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> "o":
        return self.service_path

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> "ay":
        return self.value

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> "b":
        return self.notifying

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> "as":
        return self.flags

    @dbus_property(access=PropertyAccess.READ)
    def MTU(self) -> "q":
        return 247


class FakeLeggings:
    """One pair of leggings as one adapter sees it: GATT objects under BlueZ's path shape,
    streaming real packets."""

    def __init__(self, bus: MessageBus, address: str, name: str, rate_hz: int = 200,
                 adapter: str = "hci0") -> None:
        self.bus, self.address, self.name, self.adapter = bus, address, name, adapter
        self.path = f"/org/bluez/{adapter}/dev_" + address.replace(":", "_")
        self.device = Device(self)
        self.imu = GattCharacteristic(ble.IMU_DATA_UUID, self.path + "/service000a", ["notify"], self)
        self.control = GattCharacteristic(ble.CONTROL_POINT_UUID, self.path + "/service000a", ["write"], self)
        self.battery_char = GattCharacteristic(ble.BATTERY_LEVEL_UUID, self.path + "/service000e",
                                               ["read"], self)
        self.run_data = GattCharacteristic(runs.RUN_DATA_UUID, self.path + "/service000a", ["notify"], self)
        self.source = VirtualLeggings(address, name, seed=7, rate_hz=rate_hz)
        self.battery, self.connects, self.sent = 87, 0, 0
        self.drop_after: int | None = None
        self.drop_after_chunks: list[int] = []  # drop the link once this many run chunks went out
        self.chunks_sent = 0
        self._stream: asyncio.Task | None = None
        self._runs: asyncio.Task | None = None

    def export(self) -> None:
        self.bus.export(self.path, self.device)
        self.bus.export(self.path + "/service000a", GattService(ble.SERVICE_UUID, self.path))
        self.bus.export(self.path + "/service000a/char000b", self.imu)
        self.bus.export(self.path + "/service000a/char000d", self.control)
        self.bus.export(self.path + "/service000a/char0010", self.run_data)
        self.bus.export(self.path + "/service000e", GattService(ble.BATTERY_SERVICE_UUID, self.path))
        self.bus.export(self.path + "/service000e/char000f", self.battery_char)

    def start_streaming(self) -> None:
        if self._stream is None or self._stream.done():
            self._stream = asyncio.get_running_loop().create_task(self._notify_loop())

    async def _notify_loop(self) -> None:
        """Notifications at the device's real pace (a timer), as the radio would."""
        per, step = ble.MAX_INSTANTS, 2
        interval = per / self.source.rate_hz
        index = self.source.now_index() // (per * step) * (per * step)
        seq = 0
        next_time = asyncio.get_running_loop().time()
        while self.device.connected:
            for k in range(step):
                if self.imu.notifying:
                    self.imu.notify(self.source.notification(seq, index + k, per))
                    self.sent += 1
                seq = (seq + 1) % 65536
            index += per * step
            if self.drop_after is not None and self.sent >= self.drop_after:
                self.drop_after = None
                self.drop()
                return
            next_time += 2 * interval
            await asyncio.sleep(max(next_time - asyncio.get_running_loop().time(), 0))

    def run_command(self, command: bytes) -> None:
        """List, read or erase stored runs: the answers go out as run-data notifications."""
        if self._runs is not None and not self._runs.done():
            self._runs.cancel()  # a new command supersedes a read still going out
        self._runs = asyncio.get_running_loop().create_task(self._answer(*runs.parse_control(command)))

    async def _answer(self, op: int, args: tuple) -> None:
        flash = self.source.flash
        if op == runs.OP_LIST:
            for info in flash.listed():
                self.run_data.notify(runs.encode_entry(info))
            self.run_data.notify(runs.encode_mark(runs.KIND_LIST_END, len(flash.listed())))
        elif op == runs.OP_ERASE:
            erased = flash.erase(args[0])
            self.run_data.notify(runs.encode_mark(runs.KIND_ERASED, args[0] if erased else 0))
        else:
            for number, chunk in enumerate(flash.chunks(*args)):
                if not (self.device.connected and self.run_data.notifying):
                    return
                self.run_data.notify(chunk)
                self.chunks_sent += 1
                if self.drop_after_chunks and self.chunks_sent >= self.drop_after_chunks[0]:
                    self.drop_after_chunks.pop(0)
                    self.drop()
                    return
                if number % LINK_BURST == LINK_BURST - 1:  # the radio's pace (LINK_BYTES_PER_S)
                    await asyncio.sleep(LINK_BURST * len(chunk) / LINK_BYTES_PER_S)

    def drop(self) -> None:
        """The device ends the link (out of range, battery swap)."""
        self.imu.notifying = False
        self.run_data.notifying = False
        self.device.resolved = False
        self.device.emit_properties_changed({"ServicesResolved": False})
        self.device.connected = False
        self.device.emit_properties_changed({"Connected": False})


class FakeBlueZ:
    """`org.bluez` with one adapter (or several, each of which hears every leggings) and some
    leggings."""

    def __init__(self, address: str) -> None:
        self.bus_address = address
        self.leggings: list[FakeLeggings] = []  # per adapter, per leggings

    async def start(self, devices: list[tuple[str, str]], adapters: tuple[str, ...] = ("hci0",)) -> None:
        self.bus = await MessageBus(bus_address=self.bus_address, bus_type=BusType.SYSTEM).connect()
        for number, adapter in enumerate(adapters):
            self.bus.export(f"/org/bluez/{adapter}", Adapter(self, adapter, number))
            for address, name in devices:
                leggings = FakeLeggings(self.bus, address, name, adapter=adapter)
                leggings.export()
                self.leggings.append(leggings)
        await self.bus.request_name("org.bluez")
        self._adverts = asyncio.get_running_loop().create_task(self._advertising())

    def advertise(self) -> None:
        for leggings in self.leggings:
            leggings.device.emit_properties_changed({"RSSI": leggings.device.rssi})

    async def _advertising(self) -> None:
        """While discovering, every device 'advertises' (an RSSI update) each 100 ms."""
        while True:
            await asyncio.sleep(0.1)
            self.advertise()

    def stop(self) -> None:
        self._adverts.cancel()
        self.bus.disconnect()


def use_bus(address: str) -> None:
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address
