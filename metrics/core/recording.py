"""Recorded-data CSV (SPEC §4): one row per sample instant, `t` then 24 IMU columns."""

from __future__ import annotations

import csv
import io
import itertools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

SENSORS = ("left_thigh", "left_shank", "right_thigh", "right_shank")
AXES = ("ax", "ay", "az", "gx", "gy", "gz")
IMU_COLUMNS = tuple(f"{sensor}_{axis}" for sensor in SENSORS for axis in AXES)
COLUMNS = ("t", *IMU_COLUMNS)


BLOCK_ROWS = 20_000


class RecordingError(ValueError):
    """A recorded file that cannot be read; the message names the line."""


@dataclass
class Recording:
    t: np.ndarray  # (N,) seconds
    imu: np.ndarray  # (N, 24) in IMU_COLUMNS order: m/s² and deg/s, nominal segment frames

    def __len__(self) -> int:
        return len(self.t)


def read_csv(source: str | Path | IO[str]) -> Recording:
    """Parse a SPEC §4 file. Extra columns are ignored; errors name the offending line."""
    if isinstance(source, str | Path):
        with open(source, newline="", encoding="utf-8") as handle:
            return read_csv(handle)
    header_line = source.readline()
    if not header_line.strip():
        raise RecordingError("line 1: empty file, expected a header row")
    header = [name.strip() for name in next(csv.reader([header_line]))]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise RecordingError(f"line 1: missing columns: {', '.join(missing)}")
    usecols = [header.index(name) for name in COLUMNS]
    blocks, line = [], 2
    # Read BLOCK_ROWS lines at a time: memory stays near the parsed numbers (a 100 MB file is
    # never held as text), and a server thread parsing an upload lets the others run between blocks.
    while lines := list(itertools.islice(source, BLOCK_ROWS)):
        text = "".join(lines)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # a block of blank lines holds no data
                block = np.loadtxt(io.StringIO(text), delimiter=",", usecols=usecols, ndmin=2)
        except ValueError:
            raise RecordingError(_first_bad_line(text, usecols, len(header), line)) from None
        if len(block):
            blocks.append(block)
        line += len(lines)
    if not blocks:
        raise RecordingError("line 2: no samples after the header")
    data = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    _check_times(data[:, 0])
    return Recording(t=data[:, 0].copy(), imu=np.ascontiguousarray(data[:, 1:]))


def _first_bad_line(body: str, usecols: list[int], width: int, first_line: int = 2) -> str:
    for number, row in enumerate(csv.reader(io.StringIO(body)), start=first_line):
        if not row:
            continue
        if len(row) < width:
            return f"line {number}: expected {width} values, found {len(row)}"
        for col in usecols:
            try:
                float(row[col])
            except ValueError:
                return f"line {number}: not a number in column {col + 1}: {row[col]!r}"
    return "could not parse the file"


MAX_SPAN_S = 24 * 3600  # one session
SAMPLE_RATE_HZ = (20.0, 2000.0)


def _check_times(t: np.ndarray) -> None:
    """`t` is finite, rises from row to row, spans at most a day, at a plausible sample rate;
    the first offence is named by its line (the header is line 1)."""
    problems = []
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        problems.append((bad[0], "time `t` is not a finite number"))
    with np.errstate(invalid="ignore", over="ignore"):
        back = np.flatnonzero(~(t[1:] > t[:-1])) + 1
        far = np.flatnonzero(np.abs(t - t[0]) > MAX_SPAN_S)
    if back.size:
        i = back[0]
        problems.append((i, f"t = {t[i]:g} is not after the previous row's {t[i - 1]:g} (t must rise)"))
    if far.size:
        i = far[0]
        problems.append((i, f"t = {t[i]:g} is more than 24 h from the first row's {t[0]:g} "
                            "(one file is one session of at most 24 h)"))
    if problems:
        i, message = min(problems, key=lambda p: p[0])
        raise RecordingError(f"line {i + 2}: {message}")
    if len(t) > 1:
        rate = 1.0 / float(np.median(np.diff(t)))
        if not SAMPLE_RATE_HZ[0] <= rate <= SAMPLE_RATE_HZ[1]:
            raise RecordingError(f"line 2 onwards: the sample rate, {rate:.3g} Hz (median step), is outside "
                                 f"{SAMPLE_RATE_HZ[0]:g}–{SAMPLE_RATE_HZ[1]:g} Hz")


def write_csv(recording: Recording, target: IO[str]) -> None:
    """Write SPEC §4 CSV (the format `read_csv` and `analyze` take)."""
    target.write(",".join(COLUMNS) + "\n")
    rows = np.column_stack([recording.t, recording.imu])
    np.savetxt(target, rows, delimiter=",", fmt=["%.5f"] + ["%.4f"] * 24)
