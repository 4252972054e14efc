"""The engine on measured signals: thigh and shank IMUs of a real runner (BioMAC-Sim-Toolbox, P01,
Apache-2.0; tests/metrics/fixtures), repeated stride after stride. Every stride is found, and the
engine's knee angle follows optical motion capture through the whole stride up to one constant:
what differs is where the sensors' axes sit on the bones, not the gyro integration or the
per-stride orientation (docs/metrics.md, "Real legs")."""

from pathlib import Path

import numpy as np
import pytest

from metrics.core import Body, Recording, analyze
from metrics.imu_model import resample_cycle

FIXTURE = Path(__file__).parent / "fixtures" / "biomac_p01_running_cycle.csv"
CYCLES = 60  # 44 s: the flexion axis settles over the first 20 s of motion


@pytest.fixture(scope="module")
def measured():
    lines = [line for line in FIXTURE.read_text().splitlines() if not line.startswith("#")]
    header, rows = lines[0].split(","), np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    t, imu, mocap = rows[:, 0], rows[:, 1:25], rows[:, header.index("mocap_right_knee_flexion_deg")]
    duration = float(t[-1] + (t[1] - t[0]))
    samples = int(round(duration * 200))
    running = np.tile(resample_cycle(imu, samples), (CYCLES, 1))
    strides, skipped = analyze(Recording(np.arange(len(running)) / 200, running), Body.from_height(1.73))
    return strides, skipped, samples / 200, mocap  # the period as repeated


def test_every_stride_of_both_legs_is_found(measured):
    strides, skipped, duration, _ = measured
    for leg in ("left", "right"):
        mine = [s for s in strides if s.leg == leg]
        assert len(mine) >= CYCLES - 2, skipped
        assert np.median([s.cadence_spm for s in mine]) == pytest.approx(120 / duration, abs=0.5)
        assert not any(s.quality["low"] for s in mine)
        assert np.ptp([s.kickback_deg for s in mine[CYCLES // 2:]]) < 1.0  # the same stride, read the same


def test_the_knee_angle_follows_motion_capture_up_to_a_constant(measured):
    strides, _, duration, mocap = measured
    stride = [s for s in strides if s.leg == "right"][-5]
    t = stride.t_start + np.arange(len(stride.trace["thigh"])) / 25
    engine_knee = np.array(stride.trace["thigh"]) - np.array(stride.trace["shank"])
    period = np.arange(len(mocap)) * duration / len(mocap)

    def mocap_at(times):
        return np.interp(times % duration, period, mocap, period=duration)

    # The data set's IMU and motion-capture clocks are not in step (and the trace is sampled at
    # 25 Hz from IC): take the best alignment within ±60 ms.
    lags = np.arange(-0.06, 0.0601, 0.001)
    spread, lag = min((np.std(engine_knee - mocap_at(t + lag)), lag) for lag in lags)
    offset = np.mean(mocap_at(t + lag) - engine_knee)
    assert spread < 2.5, (spread, offset)
    assert abs(stride.kickback_deg + offset - mocap.max()) < 2.5
