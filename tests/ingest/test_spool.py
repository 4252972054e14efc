"""The agent's spool keeps every frame until acked, in order, across restarts."""

from ingest.agent.spool import Spool


def test_frames_survive_a_restart_and_leave_only_when_acked(tmp_path):
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path)
    for seq in range(5):
        spool.append("A", seq, f"a{seq}".encode())
    spool.append("B", 0, b"b0")
    spool.close()

    spool = Spool(path)
    assert spool.backlog() == {"A": 5, "B": 1}
    assert spool.next_seq("A") == 5
    assert spool.ack("A", 2) == 3
    assert [seq for _, seq, _ in spool.pending("A")] == [3, 4]
    assert spool.pending("A", after=3)[0][2] == b"a4"
    spool.append("A", 5, b"a5")
    assert spool.next_seq("A") == 6


def test_numbering_can_continue_after_the_server(tmp_path):
    spool = Spool(tmp_path / "s.sqlite3")
    spool.append_marker("C", 42)
    assert spool.next_seq("C") == 42 and spool.backlog() == {}


def test_renumbering_after_the_server_forgot(tmp_path):
    import numpy as np

    from ingest.protocol import frames

    spool = Spool(tmp_path / "s.sqlite3")
    for seq in (40, 41):
        frame = frames.SampleFrame("AA:BB:CC:DD:EE:FF", seq, 100 * seq, 200, 32, 2000,
                                   np.arange(3, dtype=np.uint16), np.zeros((3, 24), dtype=np.int16))
        spool.append("AA:BB:CC:DD:EE:FF", seq, frames.encode(frame))
    spool.renumber("AA:BB:CC:DD:EE:FF", 0, frames.SEQ_OFFSET)
    rows = spool.pending("AA:BB:CC:DD:EE:FF")
    assert [seq for _, seq, _ in rows] == [0, 1]
    assert [frames.decode(p).seq for _, _, p in rows] == [0, 1]
    assert [frames.decode(p).first_index for _, _, p in rows] == [4000, 4100]
    assert spool.next_seq("AA:BB:CC:DD:EE:FF") == 2
