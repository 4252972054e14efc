"""Notifications → spooled frames: interleaved instants in order, losses counted, bad packets dropped."""

import numpy as np

from ingest.agent.framer import Framer, commit
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
    assert all(len(f.raw) <= 20 for f in got)


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
