"""Notifications → spooled frames: interleaved instants in order, losses counted, bad packets dropped."""

import numpy as np

from ingest.agent.framer import MAX_FRAME_S, Framer, commit
from ingest.agent.spool import Spool
from ingest.protocol import ble, frames


def _notifications(instants: int, lose: set[int] = frozenset()):
    rng = np.random.default_rng(0)
    raw = rng.integers(-30000, 30000, (instants, 24), dtype=np.int16)
    out, seq = [], 0
    for start in range(0, instants, 8):
        for k in range(2):
            idx = start + k + 2 * np.arange(4)
            if seq not in lose:
                out.append(ble.encode(ble.Notification(seq, 5000 + start + k, 2, 200, 32, 2000, raw[idx])))
            seq += 1
    return raw, out


def _spooled(spool, address):
    return [frames.decode(payload) for _, _, payload in spool.pending(address, limit=10_000)]


def test_interleaved_notifications_become_ordered_frames(tmp_path):
    spool = Spool(tmp_path / "s.sqlite3")
    framer = Framer("AA:BB:CC:DD:EE:FF", spool)
    raw, notifications = _notifications(400)
    for data in notifications:
        framer.on_notification(data)
    framer.flush()
    commit(spool, [framer])
    got = _spooled(spool, framer.address)
    indices = np.concatenate([f.indices for f in got])
    assert np.array_equal(indices, 5000 + np.arange(400))
    assert np.array_equal(np.concatenate([f.raw for f in got]), raw)
    assert [f.seq for f in got] == list(range(len(got)))
    assert all(len(f.raw) <= MAX_FRAME_S * 200 for f in got)


def test_a_lost_notification_leaves_single_sample_holes_and_is_counted(tmp_path):
    spool = Spool(tmp_path / "s.sqlite3")
    framer = Framer("AA:BB:CC:DD:EE:FF", spool)
    _, notifications = _notifications(80, lose={3})
    for data in notifications:
        framer.on_notification(data)
    framer.flush()
    commit(spool, [framer])
    indices = np.concatenate([f.indices for f in _spooled(spool, framer.address)]) - 5000
    assert framer.stats.lost_notifications == 1
    assert sorted(set(range(80)) - set(indices)) == [9, 11, 13, 15]


def test_bad_packets_are_dropped_and_counted(tmp_path):
    framer = Framer("AA:BB:CC:DD:EE:FF", Spool(tmp_path / "s.sqlite3"))
    assert framer.on_notification(b"\x01garbage") == 0
    assert framer.stats.bad_packets == 1


def test_a_frame_ends_where_the_engine_can_confirm_a_stride(tmp_path):
    """Running, each frame that completes a stride ends at its cut (metrics.core.stride_cuts), not
    up to a frame later: the engine, fed frame by frame, gives every stride out at most 0.2 s after
    its foot strike (frames of 100 ms left up to 0.25 s), and the strides are the same."""
    from ingest.agent.virtual import INTERLEAVE, VirtualLeggings
    from metrics.core import Body, StrideEngine

    device = VirtualLeggings("AA:00:00:00:00:01", "test", seed=5, speed=3.8)
    framer = Framer(device.address, Spool(tmp_path / "s.sqlite3"))
    engine = StrideEngine(Body.from_height(1.75), sample_rate=200)
    per = ble.MAX_INSTANTS
    group, delays, sizes = per * INTERLEAVE, [], []
    for first in range(20 * 200, 35 * 200, group):  # 15 s of running
        for k in range(INTERLEAVE):
            framer.on_notification(device.notification(first // group * INTERLEAVE + k, first + k, per))
        for _, _, payload in framer.outbox:
            frame = frames.decode(payload)
            sizes.append(len(frame.raw))
            strides = engine.feed(frame.indices / 200, frame.physical())
            delays += [(frame.indices[-1] + 1) / 200 - stride.t_end for stride in strides]
        framer.outbox = []
    assert len(delays) > 35 and max(delays) <= 0.2
    assert max(sizes) <= MAX_FRAME_S * 200 and len(sizes) < 15 * 7  # fewer frames than 10 a second
