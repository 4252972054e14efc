"""A session as a FIT activity (Garmin's format, which Garmin Connect, Strava, GoldenCheetah,
Runalyze and intervals.icu import): file id, timer events, one record per stride (cadence,
speed, distance) with kickback, knee elevation, zone and quality per leg as developer fields
(named, with units, so analysis tools show them as channels), one lap, the session, the activity.
Written with fit-tool; the tests read it back with fitdecode, an independent reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fit_tool.base_type import BaseType
from fit_tool.developer_field import DeveloperField
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.activity_message import ActivityMessage
from fit_tool.profile.messages.developer_data_id_message import DeveloperDataIdMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.field_description_message import FieldDescriptionMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import Event, EventType, FileType, Manufacturer, Sport

APPLICATION_ID = b"StrideSite.form1"  # 16 bytes: who defined the developer fields
ZONE_CODES = {"below": 0, "in": 1, "above": 2}
# Developer fields, per leg: (name, units, base type). Zones: 0 below, 1 in, 2 above the target.
PER_LEG = (("kickback", "deg", BaseType.FLOAT32), ("knee_elevation", "deg", BaseType.FLOAT32),
           ("kickback_zone", "0 below 1 in 2 above", BaseType.UINT8),
           ("knee_elevation_zone", "0 below 1 in 2 above", BaseType.UINT8),
           ("kickback_uncertainty", "deg", BaseType.FLOAT32),
           ("knee_elevation_uncertainty", "deg", BaseType.FLOAT32),
           ("low_quality", "0 good 1 low", BaseType.UINT8))
LEGS = ("left", "right")


@dataclass(frozen=True)
class FitStride:
    leg: str
    t_start: float  # s from the session's start
    cadence_spm: float  # steps a minute
    speed_mps: float
    kickback_deg: float
    knee_elevation_deg: float
    kickback_zone: str
    knee_elevation_zone: str
    kickback_uncertainty_deg: float
    knee_elevation_uncertainty_deg: float
    low_quality: bool


def field_number(leg: str, name: str) -> int:
    names = [field[0] for field in PER_LEG]
    return LEGS.index(leg) * len(PER_LEG) + names.index(name)


def fit_activity(started_at: datetime, duration_s: float, strides: list[FitStride], serial: int) -> bytes:
    """The FIT file of one session whose strides are given in time order."""
    start_ms = round(started_at.timestamp() * 1000)
    end_ms = start_ms + round(duration_s * 1000)
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    builder.add(_message(FileIdMessage(), type=FileType.ACTIVITY, manufacturer=Manufacturer.DEVELOPMENT.value,
                         product=1, time_created=start_ms, serial_number=serial))
    builder.add(_message(DeveloperDataIdMessage(), application_id=APPLICATION_ID, developer_data_index=0))
    for leg in LEGS:
        for name, units, base_type in PER_LEG:
            builder.add(_message(FieldDescriptionMessage(), developer_data_index=0,
                                 field_definition_number=field_number(leg, name), fit_base_type_id=base_type,
                                 field_name=f"{name}_{leg}", units=units))
    builder.add(_message(EventMessage(), event=Event.TIMER, event_type=EventType.START, timestamp=start_ms))
    distance, previous_t = 0.0, 0.0
    for stride in strides:
        distance += stride.speed_mps * max(stride.t_start - previous_t, 0.0)
        previous_t = stride.t_start
        builder.add(_record(stride, start_ms, distance))
    builder.add(_message(EventMessage(), event=Event.TIMER, event_type=EventType.STOP_ALL, timestamp=end_ms))
    good = [s for s in strides if not s.low_quality] or strides
    summary = {"start_time": start_ms, "timestamp": end_ms, "total_elapsed_time": duration_s,
               "total_timer_time": duration_s, "total_distance": distance,
               "avg_speed": sum(s.speed_mps for s in good) / len(good) if good else 0.0,
               "avg_cadence": round(sum(s.cadence_spm for s in good) / len(good) / 2) if good else 0,
               "sport": Sport.RUNNING, "event": Event.LAP, "event_type": EventType.STOP}
    builder.add(_message(LapMessage(), message_index=0, **summary))
    builder.add(_message(SessionMessage(), message_index=0, first_lap_index=0, num_laps=1, **summary))
    builder.add(_message(ActivityMessage(), timestamp=end_ms, total_timer_time=duration_s, num_sessions=1,
                         event=Event.ACTIVITY, event_type=EventType.STOP))
    return builder.build().to_bytes()


def _record(stride: FitStride, start_ms: int, distance: float) -> RecordMessage:
    values = {"kickback": stride.kickback_deg, "knee_elevation": stride.knee_elevation_deg,
              "kickback_zone": ZONE_CODES.get(stride.kickback_zone, 1),
              "knee_elevation_zone": ZONE_CODES.get(stride.knee_elevation_zone, 1),
              "kickback_uncertainty": stride.kickback_uncertainty_deg,
              "knee_elevation_uncertainty": stride.knee_elevation_uncertainty_deg,
              "low_quality": int(stride.low_quality)}
    fields = []
    for name, _, base_type in PER_LEG:
        field = DeveloperField(developer_data_index=0, field_id=field_number(stride.leg, name),
                               base_type=base_type, size=base_type.size)
        field.set_value(0, values[name])
        fields.append(field)
    strides_per_minute = stride.cadence_spm / 2  # FIT's running cadence counts one leg's strides
    return _message(RecordMessage(developer_fields=fields), timestamp=start_ms + round(stride.t_start * 1000),
                    cadence=int(strides_per_minute), fractional_cadence=strides_per_minute % 1,
                    speed=stride.speed_mps, distance=distance)


def _message(message, **values):
    for name, value in values.items():
        setattr(message, name, value)
    return message
