"""Agent → server frames: round trips; malformed or oversized frames raise FrameError only."""

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.protocol import frames


def _frame(n=20):
    rng = np.random.default_rng(n)
    raw = rng.integers(-999, 999, (n, 24), dtype=np.int16)
    offsets = np.arange(n, dtype=np.uint16) * 2
    return frames.SampleFrame("5A:1D:E0:00:00:0A", 7, 1000, 200, 32, 2000, offsets, raw)


def test_round_trip():
    original = _frame()
    back = frames.decode(frames.encode(original))
    assert back.address == original.address and back.seq == 7
    assert np.array_equal(back.indices, 1000 + 2 * np.arange(20))
    assert np.array_equal(back.raw, original.raw)


def test_oversized_frames_are_refused():
    with pytest.raises(frames.FrameError, match="exceeds"):
        frames.decode(b"\0" * (frames.MAX_FRAME_BYTES + 1))


def test_offsets_must_increase():
    original = _frame()
    data = bytearray(frames.encode(original))
    data[frames.HEADER.size: frames.HEADER.size + 4] = b"\x05\x00\x01\x00"
    with pytest.raises(frames.FrameError, match="increase"):
        frames.decode(bytes(data))


def test_text_is_not_a_frame():
    with pytest.raises(frames.FrameError):
        frames.decode("hello")


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_frame_errors(data):
    with contextlib.suppress(frames.FrameError):
        frames.decode(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=60), st.integers(0, 200))
def test_corrupted_frames_raise_only_frame_errors(noise, position):
    data = bytearray(frames.encode(_frame(3)))
    data[position % len(data): position % len(data) + len(noise)] = noise
    with contextlib.suppress(frames.FrameError):
        frames.decode(bytes(data))
