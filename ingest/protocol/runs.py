"""Runs recorded on board the leggings, and their sync (docs/ble-protocol.md, "Stored runs").

Pure codecs, no I/O. Over BLE: control-point commands (list, read, erase), and notifications
on the run-data characteristic — one list entry per stored run, then the list's end; data
chunks of a run (byte offset and CRC-32 each, so a read resumes at any offset after a drop);
an erase's answer. Towards the server: the run file, the run's header and its samples.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from ingest.protocol.ble import INSTANT_BYTES, PacketError

RUN_DATA_UUID = "5a1d0004-7e57-4d1e-9a5e-57a1de000001"

OP_LIST, OP_READ, OP_ERASE = 0x10, 0x11, 0x12
KIND_ENTRY, KIND_LIST_END, KIND_CHUNK, KIND_ERASED = 1, 2, 3, 4
READ = struct.Struct("<BIII")  # op, run id, byte offset, length
ERASE = struct.Struct("<BI")  # op, run id
# kind, run id, start (Unix s), first sample index, rate, ±g, ±dps, instants
ENTRY = struct.Struct("<BIIIHBHI")
MARK = struct.Struct("<BI")  # kind (list end: run count; erased: run id)
CHUNK = struct.Struct("<BIIHI")  # kind, run id, byte offset, length, CRC-32 of the payload
CHUNK_BYTES = 244 - CHUNK.size  # payload per notification at the 247-byte ATT MTU
FILE = struct.Struct("<4sIIIHBHI")  # "SSR1", then the entry's fields: the run file's header
MAGIC = b"SSR1"


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    start_unix: int  # wall-clock second of the first sample
    first_index: int  # on the device's monotonic sample clock
    rate_hz: int
    accel_range_g: int
    gyro_range_dps: int
    instants: int

    @property
    def size_bytes(self) -> int:
        return self.instants * INSTANT_BYTES

    @property
    def minutes(self) -> float:
        return self.instants / self.rate_hz / 60

    def fault(self) -> str | None:
        """Why the server would not take this run (None: it would)."""
        if self.instants < 1 or self.rate_hz not in (100, 200):
            return f"run {self.run_id}: {self.instants} samples at {self.rate_hz} Hz"
        return None


def control_list() -> bytes:
    return bytes([OP_LIST])


def control_read(run_id: int, offset: int, length: int) -> bytes:
    return READ.pack(OP_READ, run_id, offset, length)


def control_erase(run_id: int) -> bytes:
    return ERASE.pack(OP_ERASE, run_id)


def parse_control(data: bytes) -> tuple[int, tuple[int, ...]]:
    """(opcode, arguments) of a run command written to the control point."""
    op = data[0] if data else -1
    try:
        if op == OP_LIST and len(data) == 1:
            return op, ()
        if op == OP_READ:
            return op, READ.unpack(data)[1:]
        if op == OP_ERASE:
            return op, ERASE.unpack(data)[1:]
    except struct.error as error:
        raise PacketError(f"run command 0x{op:02x}: {error}") from None
    raise PacketError(f"not a run command: {bytes(data[:8]).hex()}")


def encode_entry(info: RunInfo) -> bytes:
    return ENTRY.pack(KIND_ENTRY, info.run_id, info.start_unix, info.first_index, info.rate_hz,
                      info.accel_range_g, info.gyro_range_dps, info.instants)


def encode_mark(kind: int, value: int) -> bytes:
    return MARK.pack(kind, value)


def encode_chunk(run_id: int, offset: int, payload: bytes) -> bytes:
    return CHUNK.pack(KIND_CHUNK, run_id, offset, len(payload), zlib.crc32(payload)) + payload


def decode(data: bytes) -> tuple[int, object]:
    """A run-data notification: (KIND_ENTRY, RunInfo) | (KIND_LIST_END, run count) |
    (KIND_CHUNK, (run id, offset, payload)) | (KIND_ERASED, run id). PacketError on anything
    else, a chunk whose CRC does not match included."""
    kind = data[0] if data else -1
    try:
        if kind == KIND_ENTRY:
            return kind, RunInfo(*ENTRY.unpack(data)[1:])
        if kind in (KIND_LIST_END, KIND_ERASED):
            return kind, MARK.unpack(data)[1]
        if kind == KIND_CHUNK:
            _, run_id, offset, length, crc = CHUNK.unpack_from(data)
            payload = bytes(data[CHUNK.size:])
            if len(payload) != length or zlib.crc32(payload) != crc:
                raise PacketError(f"run {run_id} chunk at {offset}: CRC or length does not match")
            return kind, (run_id, offset, payload)
    except struct.error as error:
        raise PacketError(f"run data kind {kind}: {error}") from None
    raise PacketError(f"not run data: {bytes(data[:8]).hex()}")


def encode_file(info: RunInfo, raw: np.ndarray) -> bytes:
    """The run file: its header, then the (instants, 24) int16 samples."""
    return FILE.pack(MAGIC, info.run_id, info.start_unix, info.first_index, info.rate_hz,
                     info.accel_range_g, info.gyro_range_dps, info.instants) + raw.astype("<i2").tobytes()


def decode_file_header(head: bytes) -> RunInfo:
    """The header of a run file; PacketError if it is not one."""
    if len(head) < FILE.size or head[:4] != MAGIC:
        raise PacketError("not a StrideSite run file")
    return RunInfo(*FILE.unpack_from(head)[1:])
