"""StrideSite's metrics engine: pure numpy/scipy, no Django (SPEC §3–§6)."""

from metrics.core.engine import Stride, StrideEngine, analyze
from metrics.core.recording import COLUMNS, SENSORS, Recording, RecordingError, read_csv, write_csv
from metrics.core.strides import Body
from metrics.core.zones import DEFAULT_ZONES, PACE_BANDS, ZoneTable, pace_band

__all__ = [
    "COLUMNS", "DEFAULT_ZONES", "PACE_BANDS", "SENSORS", "Body", "Recording", "RecordingError",
    "Stride", "StrideEngine", "ZoneTable", "analyze", "pace_band", "read_csv", "write_csv",
]
