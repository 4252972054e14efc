"""The leggings' notification codec: round trips, MTU fallback, and no exception but PacketError."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.protocol import ble


def _notification(count=4, seed=0):
    raw = np.random.default_rng(seed).integers(-32768, 32767, (count, 24), dtype=np.int16)
    return ble.Notification(seq=65535, first_index=123456, step=2, rate_hz=200, accel_range_g=32,
                            gyro_range_dps=2000, raw=raw)


def test_round_trip_and_size_fits_a_247_byte_mtu():
    original = _notification()
    data = ble.encode(original)
    assert len(data) == 12 + 4 * 48 <= 247 - 3
    back = ble.decode(data)
    assert back.seq == 65535 and back.first_index == 123456 and back.step == 2
    assert np.array_equal(back.raw, original.raw)
    assert list(back.indices) == [123456, 123458, 123460, 123462]


def test_physical_units():
    raw = np.zeros((1, 24), dtype=np.int16)
    raw[0, 0], raw[0, 5] = 16384, -16384
    values = ble.Notification(0, 0, 1, 100, 16, 2000, raw).physical()
    assert values[0, 0] == pytest.approx(8 * 9.81) and values[0, 5] == pytest.approx(-1000)


def test_quantise_round_trips_through_physical():
    original = _notification()
    assert np.array_equal(ble.quantise(original.physical(), 32, 2000), original.raw)


@pytest.mark.parametrize("mtu,count", [(247, 4), (185, 3), (63, 1)])
def test_smaller_mtus_carry_fewer_instants(mtu, count):
    assert ble.instants_per_notification(mtu) == count


def test_default_23_byte_mtu_is_refused_clearly():
    with pytest.raises(ble.PacketError, match="too small"):
        ble.instants_per_notification(23)


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d[:5], "shorter"),
    (lambda d: bytes([9]) + d[1:], "version"),
    (lambda d: d + b"\0", "bytes for"),
    (lambda d: d[:1] + bytes([0]) + d[2:], "count"),
    (lambda d: d[:9] + bytes([0xFF]) + d[10:], "range"),
])
def test_malformed_notifications_say_why(mutate, message):
    with pytest.raises(ble.PacketError, match=message):
        ble.decode(mutate(ble.encode(_notification())))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_as_other_errors(data):
    try:
        notification = ble.decode(data)
    except ble.PacketError:
        return
    assert notification.raw.shape[1] == 24


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**16 - 1), st.integers(0, 2**32 - 1), st.integers(1, 8),
       st.sampled_from([100, 200]), st.integers(0, 2**32 - 1))
def test_encode_decode_round_trips(count, seq, first, step, rate, seed):
    original = ble.Notification(seq, first, step, rate, 16, 1000, _notification(count, seed % 1000).raw)
    back = ble.decode(ble.encode(original))
    assert (back.seq, back.first_index, back.step, back.rate_hz) == (seq, first, step, rate)
    assert np.array_equal(back.raw, original.raw)
