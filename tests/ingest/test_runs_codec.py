"""Stored runs on the leggings: the bounded flash never overwrites a run not yet synced, and the
run-data codec raises nothing but PacketError on arbitrary bytes."""

import contextlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.agent.virtual import Flash
from ingest.protocol import runs
from ingest.protocol.ble import PacketError

MINUTE = 200 * 60  # instants of a minute at 200 Hz: 576 kB


def _minutes(n: float) -> np.ndarray:
    return np.zeros((int(n * MINUTE), 24), dtype=np.int16)


def test_a_full_flash_overwrites_the_oldest_synced_run_and_never_an_unsynced_one():
    flash = Flash(capacity=3 * MINUTE * 48)  # three minutes
    first, second, third = (flash.record(0, 0, 200, _minutes(1)) for _ in range(3))
    assert flash.record(0, 0, 200, _minutes(1)) is None  # full of runs not synced: refuses
    assert [r.run_id for r in flash.listed()] == [1, 2, 3]
    flash.erase(second.run_id)
    flash.erase(first.run_id)
    fourth = flash.record(0, 0, 200, _minutes(1))
    assert fourth is not None
    assert [r.info.run_id for r in flash.stored] == [2, 3, 4]  # run 1, the oldest synced, went
    assert [r.run_id for r in flash.listed()] == [3, 4] and third.run_id == 3
    assert flash.record(0, 0, 200, _minutes(2)) is None  # would need run 3, not synced …
    assert [r.info.run_id for r in flash.stored] == [2, 3, 4]  # … and refusing costs nothing


def test_chunks_carry_the_run_with_a_crc_and_resume_at_any_offset():
    flash = Flash()
    raw = np.arange(500 * 24, dtype=np.int16).reshape(500, 24)
    info = flash.record(1_790_000_000, 42, 200, raw)
    data = b"".join(runs.decode(chunk)[1][2] for chunk in flash.chunks(info.run_id, 0, info.size_bytes))
    assert data == raw.tobytes()
    tail = [runs.decode(chunk)[1] for chunk in flash.chunks(info.run_id, 10_000, 2_000)]
    assert tail[0][1] == 10_000 and b"".join(p for _, _, p in tail) == raw.tobytes()[10_000:12_000]
    broken = bytearray(flash.chunks(info.run_id, 0, 300)[0])
    broken[-1] ^= 1
    with pytest.raises(PacketError, match="CRC"):
        runs.decode(bytes(broken))


@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_packet_errors(data):
    for decode in (runs.decode, runs.parse_control, runs.decode_file_header):
        with contextlib.suppress(PacketError):  # anything else fails the test
            decode(data)
