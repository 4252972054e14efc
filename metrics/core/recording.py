"""Recorded-data CSV (SPEC §4): one row per sample instant, `t` then 24 IMU columns."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

SENSORS = ("left_thigh", "left_shank", "right_thigh", "right_shank")
AXES = ("ax", "ay", "az", "gx", "gy", "gz")
IMU_COLUMNS = tuple(f"{sensor}_{axis}" for sensor in SENSORS for axis in AXES)
COLUMNS = ("t", *IMU_COLUMNS)


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
    body = source.read()
    if not body.strip():
        raise RecordingError("line 2: no samples after the header")
    try:
        data = np.loadtxt(io.StringIO(body), delimiter=",", usecols=usecols, ndmin=2)
    except ValueError:
        raise RecordingError(_first_bad_line(body, usecols, len(header))) from None
    _check_times(data[:, 0])
    return Recording(t=data[:, 0].copy(), imu=np.ascontiguousarray(data[:, 1:]))


def _first_bad_line(body: str, usecols: list[int], width: int) -> str:
    for number, row in enumerate(csv.reader(io.StringIO(body)), start=2):
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


def _check_times(t: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise RecordingError(f"line {bad[0] + 2}: time `t` is not a finite number")


def write_csv(recording: Recording, target: IO[str]) -> None:
    """Write SPEC §4 CSV (the format `read_csv` and `analyze` take)."""
    target.write(",".join(COLUMNS) + "\n")
    rows = np.column_stack([recording.t, recording.imu])
    np.savetxt(target, rows, delimiter=",", fmt=["%.5f"] + ["%.4f"] * 24)
