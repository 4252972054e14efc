"""SPEC §4 CSV: round trip, extra columns ignored, malformed files named by line."""

import gzip
import io

import numpy as np
import pytest

from metrics.core import COLUMNS, Recording, RecordingError, read_csv, write_csv
from metrics.core.recording import read_blocks


def _csv(rows: list[str], header: str = ",".join(COLUMNS)) -> io.StringIO:
    return io.StringIO("\n".join([header, *rows]) + "\n")


def _row(t: float) -> str:
    return ",".join([f"{t}"] + ["1.5"] * 24)


def test_round_trip():
    rng = np.random.default_rng(1)
    original = Recording(np.arange(50) / 100, rng.normal(0, 5, (50, 24)))
    buffer = io.StringIO()
    write_csv(original, buffer)
    buffer.seek(0)
    back = read_csv(buffer)
    assert np.allclose(back.t, original.t) and np.allclose(back.imu, original.imu, atol=1e-4)


def test_extra_and_reordered_columns_are_fine():
    header = "note," + ",".join(reversed(COLUMNS))
    rows = ["x," + ",".join([str(i) for i in range(24, 0, -1)] + [f"{t / 100}"]) for t in range(5)]
    recording = read_csv(_csv(rows, header))
    assert recording.imu.shape == (5, 24)
    assert recording.imu[0, 0] == 1 and recording.imu[0, 23] == 24


def test_missing_columns_are_named():
    header = ",".join(c for c in COLUMNS if c != "right_shank_gz")
    with pytest.raises(RecordingError, match="line 1: missing columns: right_shank_gz"):
        read_csv(_csv([], header))


@pytest.mark.parametrize(
    "bad,message",
    [("0.02,abc" + ",1" * 23, "line 4: not a number"), ("0.02,1,2", "line 4: expected 25 values")],
)
def test_malformed_rows_name_the_line(bad, message):
    with pytest.raises(RecordingError, match=message):
        read_csv(_csv([_row(0.0), _row(0.01), bad, _row(0.03)]))


def test_empty_files_are_refused():
    with pytest.raises(RecordingError, match="line 1"):
        read_csv(io.StringIO(""))
    with pytest.raises(RecordingError, match="no samples"):
        read_csv(_csv([]))


def test_non_finite_time_is_refused():
    with pytest.raises(RecordingError, match="line 3"):
        read_csv(_csv([_row(0.0), "nan" + ",1" * 24]))


def test_a_long_file_is_read_in_blocks_and_an_error_far_down_names_its_line():
    """A file is read a block at a time (never the whole text in memory): each block knows its
    first line, the numbers are the same, and a bad value or a step back in time in a later
    block is named by its own line number."""
    rows = 6000
    recording = Recording(np.arange(rows) / 200, np.random.default_rng(1).normal(0, 5, (rows, 24)))
    buffer = io.StringIO()
    write_csv(recording, buffer)
    data = buffer.getvalue().encode()
    blocks = list(read_blocks(io.BytesIO(data), block_bytes=64 << 10))
    assert len(blocks) > 5
    assert [line for _, line in blocks] == list(np.cumsum([2] + [len(b) for b, _ in blocks[:-1]]))
    back = np.concatenate([b.imu for b, _ in blocks])
    assert len(back) == rows and np.allclose(back, recording.imu, atol=1e-4)
    lines = buffer.getvalue().splitlines()
    bad_line = 4321  # in a later block
    for fault, message in ((lambda x: x.replace(",", ",oops", 1), "not a number in column 2"),
                           (lambda x: "0.5" + x[x.index(","):], "t must rise")):
        broken = lines.copy()
        broken[bad_line - 1] = fault(broken[bad_line - 1])
        with pytest.raises(RecordingError, match=f"line {bad_line}: .*{message}"):
            list(read_blocks(io.BytesIO(("\n".join(broken) + "\n").encode()), block_bytes=64 << 10))


def test_gzip_files_read_like_plain_ones(tmp_path):
    recording = Recording(np.arange(500) / 200, np.random.default_rng(2).normal(0, 5, (500, 24)))
    with gzip.open(tmp_path / "run.csv.gz", "wt") as handle:
        write_csv(recording, handle)
    back = read_csv(tmp_path / "run.csv.gz")
    assert np.allclose(back.imu, recording.imu, atol=1e-4) and np.allclose(back.t, recording.t)


def _file(t: np.ndarray) -> bytes:
    rows = "\n".join(f"{x:.6f}," + ",".join(["1.5"] * 24) for x in t)
    return (",".join(COLUMNS) + "\n" + rows + "\n").encode()


def test_a_file_whose_rows_crowd_ever_closer_is_refused_where_they_start_to():
    """A decompression bomb for the worker: the rate is judged on the first rows, then rows come
    ever closer in time (each would be dropped as a second row of its instant, after costing the
    worker its parse). Refused at the block where they begin; a file that only loses rows reads."""
    steady = np.arange(25_000) / 100
    crowded = steady[-1] + np.arange(1, 50_001) * 1e-5
    refused = r"lines \d+–\d+: \d+ rows in .* more than 1.5 × the file's 100 Hz"
    with pytest.raises(RecordingError, match=refused):
        list(read_blocks(io.BytesIO(_file(np.concatenate([steady, crowded]))), block_bytes=256 << 10))
    lossy = np.concatenate([steady, steady[-1] + np.arange(1, 20_001)[::3] / 100])  # 2 rows in 3 lost
    blocks = read_blocks(io.BytesIO(_file(lossy)), block_bytes=256 << 10)
    assert sum(len(block) for block, _ in blocks) == len(lossy)


@pytest.mark.parametrize("rate", [5, 5000])
def test_a_file_outside_20_to_2000_hz_is_refused(rate):
    with pytest.raises(RecordingError, match="the sample rate, .* Hz .*is outside 20–2000 Hz"):
        read_csv(io.BytesIO(_file(np.arange(300) / rate)))
