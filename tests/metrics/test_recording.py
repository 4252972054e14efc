"""SPEC §4 CSV: round trip, extra columns ignored, malformed files named by line."""

import io

import numpy as np
import pytest

from metrics.core import COLUMNS, Recording, RecordingError, read_csv, write_csv


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
    """Read BLOCK_ROWS lines at a time (never the whole text in memory): the same numbers, and a
    bad value in a later block is named by its own line number."""
    from metrics.core.recording import BLOCK_ROWS

    rows = 2 * BLOCK_ROWS + 500
    recording = Recording(np.arange(rows) / 200, np.random.default_rng(1).normal(0, 5, (rows, 24)))
    buffer = io.StringIO()
    write_csv(recording, buffer)
    back = read_csv(io.StringIO(buffer.getvalue()))
    assert len(back) == rows and np.allclose(back.imu, recording.imu, atol=1e-4)
    lines = buffer.getvalue().splitlines()
    bad_line = BLOCK_ROWS + 321  # in the second block
    lines[bad_line - 1] = lines[bad_line - 1].replace(",", ",oops", 1)
    with pytest.raises(RecordingError, match=f"line {bad_line}:"):
        read_csv(io.StringIO("\n".join(lines) + "\n"))
