"""Recorded-data CSV (SPEC §4): one row per sample instant, `t` then 24 IMU columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
from isal import igzip
from pyarrow import csv as pacsv

SENSORS = ("left_thigh", "left_shank", "right_thigh", "right_shank")
AXES = ("ax", "ay", "az", "gx", "gy", "gz")
IMU_COLUMNS = tuple(f"{sensor}_{axis}" for sensor in SENSORS for axis in AXES)
COLUMNS = ("t", *IMU_COLUMNS)


BLOCK_BYTES = 4 << 20  # text parsed per block: ~27,000 rows


class RecordingError(ValueError):
    """A recorded file that cannot be read; the message names the line."""


@dataclass
class Recording:
    t: np.ndarray  # (N,) seconds
    imu: np.ndarray  # (N, 24) in IMU_COLUMNS order: m/s² and deg/s, nominal segment frames

    def __len__(self) -> int:
        return len(self.t)


def open_recording(path: str | Path) -> IO[bytes]:
    """A recorded file for `read_blocks`, gzip-compressed or not (told by its first bytes)."""
    with open(path, "rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    # ISA-L's gzip (python-isal) inflates four times as fast as the standard library's.
    return igzip.open(path, "rb") if compressed else open(path, "rb")  # noqa: SIM115 — the caller closes it


def read_csv(source: str | Path | IO[str] | IO[bytes]) -> Recording:
    """Parse a whole SPEC §4 file (plain or gzip). Extra columns are ignored; errors name the line."""
    if isinstance(source, str | Path):
        with open_recording(source) as handle:
            return read_csv(handle)
    if isinstance(source, io.TextIOBase):
        source = io.BytesIO(source.read().encode("utf-8"))
    blocks = [block for block, _ in read_blocks(source)]
    return Recording(np.concatenate([b.t for b in blocks]), np.concatenate([b.imu for b in blocks]))


def read_blocks(source: IO[bytes], block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[Recording, int]]:
    """A SPEC §4 file a block at a time, each with the line number of its first row: memory stays
    near one block, whatever the file's size. The times are checked as they come (`t` finite and
    rising, within a day of the first row, at 20–2000 Hz); any fault raises RecordingError naming
    its line. Parsed by Arrow's multi-threaded CSV reader."""
    try:
        header = [name.strip() for name in next(csv.reader([source.readline().decode("utf-8")]), [])]
    except UnicodeDecodeError:
        raise RecordingError("line 1: the file is not UTF-8 text") from None
    if not any(header):
        raise RecordingError("line 1: empty file, expected a header row")
    missing = [name for name in COLUMNS if name not in header]
    if missing and "kickback_deg" in header:
        raise RecordingError("line 1: this is a strides export (one row per stride): upload the raw "
                             "recording instead — a session's “Raw CSV” export, or the file the agent saved")
    if missing:
        raise RecordingError(f"line 1: missing columns: {', '.join(missing)}")
    start = source.tell() if source.seekable() else None
    times, line = _Times(), 2
    try:
        reader = pacsv.open_csv(
            source, read_options=pacsv.ReadOptions(column_names=header, block_size=block_bytes),
            convert_options=pacsv.ConvertOptions(include_columns=list(COLUMNS),
                                                 column_types=dict.fromkeys(COLUMNS, pa.float64())))
        for batch in reader:
            if not batch.num_rows:
                continue
            t = _floats(batch.column(0)).copy()
            imu = np.column_stack([_floats(batch.column(k)) for k in range(1, 25)])
            times.check(t, line)
            yield Recording(t, imu), line
            line += batch.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError):
        raise RecordingError(_first_bad_line(source, start, header) or _NO_SAMPLES) from None
    if line == 2:
        raise RecordingError(_NO_SAMPLES)
    times.finish()


_NO_SAMPLES = "line 2: no samples after the header"


def _floats(column: pa.Array) -> np.ndarray:
    """A float64 column as a read-only view of its buffer, NaN where a value was empty. (Arrow's
    own to_numpy imports pandas on first use: 0.6 s of a worker's first upload.)"""
    validity, data = column.buffers()
    n, first = len(column), column.offset
    values = np.frombuffer(data, dtype=np.float64, count=n, offset=first * 8)
    if not column.null_count:
        return values
    valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")[first: first + n]
    return np.where(valid.astype(bool), values, np.nan)


def _first_bad_line(source: IO[bytes], start: int | None, header: list[str]) -> str | None:
    """Where the file stops being SPEC §4 CSV, for the error message (read again from the top);
    None when every row reads (there were none)."""
    if start is None:
        return "the file is not well-formed CSV (a row of the wrong length, a value that is not a number, " \
               "or an unclosed quote)"
    source.seek(start)
    usecols, width = [header.index(name) for name in COLUMNS], len(header)
    text = io.TextIOWrapper(source, encoding="utf-8", errors="replace", newline="")
    number = 1
    try:
        for number, row in enumerate(csv.reader(text, strict=True), start=2):
            if not row:
                continue
            if len(row) != width:
                return f"line {number}: expected {width} values, found {len(row)}"
            for col in usecols:
                try:
                    float(row[col]) if row[col].strip() else None
                except ValueError:
                    return f"line {number}: not a number in column {col + 1}: {row[col]!r}"
    except csv.Error as error:
        return f"line {number + 1}: {error}"
    return None if number == 1 else "the file is not well-formed CSV"


MAX_SPAN_S = 24 * 3600  # one session
SAMPLE_RATE_HZ = (20.0, 2000.0)
RATE_ROWS = 20_000  # the sample rate is judged on the first rows …
DENSEST = 1.5  # … and no later block may hold rows this much faster (a file of rows ever closer
# in time is a decompression bomb for the worker, not a recording: every extra row is dropped)


class _Times:
    """The file's times, checked block by block: finite, rising from row to row, within a day
    of the first row, at a plausible sample rate that every block keeps to; the first offence is
    named by its line."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last = -np.inf
        self.head: list[np.ndarray] = []  # the first RATE_ROWS times, for the rate
        self.held = 0
        self.rate: float | None = None

    def check(self, t: np.ndarray, line: int) -> None:
        if self.first is None:
            self.first = float(t[0])
        problems = []
        bad = np.flatnonzero(~np.isfinite(t))
        if bad.size:
            problems.append((bad[0], "time `t` is not a finite number"))
        with np.errstate(invalid="ignore", over="ignore"):
            previous = np.concatenate([[self.last], t[:-1]])
            back = np.flatnonzero(~(t > previous))
            far = np.flatnonzero(np.abs(t - self.first) > MAX_SPAN_S)
        if back.size:
            i = back[0]
            problems.append((i, f"t = {t[i]:g} is not after the previous row's {previous[i]:g} "
                                "(t must rise)"))
        if far.size:
            i = far[0]
            problems.append((i, f"t = {t[i]:g} is more than 24 h from the first row's {self.first:g} "
                                "(one file is one session of at most 24 h)"))
        if problems:
            i, message = min(problems, key=lambda p: p[0])
            raise RecordingError(f"line {line + i}: {message}")
        before, self.last = self.last, float(t[-1])
        if self.held < RATE_ROWS:
            self.head.append(t[: RATE_ROWS - self.held])
            self.held += len(self.head[-1])
            if self.held >= RATE_ROWS:
                self.finish()
        self._dense(t, before, line)

    def _dense(self, t: np.ndarray, before: float, line: int) -> None:
        """Refuse a block whose rows come DENSEST times faster than the file's rate, or more
        (its steps counted from the row before it)."""
        if self.rate is None:
            return
        first = np.isinf(before)
        steps, span = len(t) - first, float(t[-1] - (t[0] if first else before))
        if steps > span * self.rate * DENSEST + 16:
            raise RecordingError(
                f"lines {line}–{line + len(t) - 1}: {steps} rows in {span:.3g} s, more than {DENSEST:g} × "
                f"the file's {self.rate:.3g} Hz (one file is one recording at one sample rate)")

    def finish(self) -> None:
        """The rate check, once: on the first RATE_ROWS rows, or all of them in a shorter file."""
        if not self.head:
            return
        t, self.head = np.concatenate(self.head), []
        if len(t) > 1:
            rate = 1.0 / float(np.median(np.diff(t)))
            if not SAMPLE_RATE_HZ[0] <= rate <= SAMPLE_RATE_HZ[1]:
                raise RecordingError(f"line 2 onwards: the sample rate, {rate:.3g} Hz (median step), is "
                                     f"outside {SAMPLE_RATE_HZ[0]:g}–{SAMPLE_RATE_HZ[1]:g} Hz")
            self.rate = rate


def write_csv(recording: Recording, target: IO[str]) -> None:
    """Write SPEC §4 CSV (the format `read_csv` and `analyze` take)."""
    target.write(",".join(COLUMNS) + "\n")
    rows = np.column_stack([recording.t, recording.imu])
    np.savetxt(target, rows, delimiter=",", fmt=["%.5f"] + ["%.4f"] * 24)
