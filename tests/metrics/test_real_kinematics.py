"""The engine on a real runner's kinematics (RBDS001, treadmill 3.5 m/s; tests/metrics/fixtures)
through the forward IMU model — soft tissue, foot-strike shock, sensor noise and bias, a stand
before the run — with 3 % of notifications lost as runs of 8 instants: the SPEC §7 bars hold at
100 Hz and 200 Hz (docs/metrics.md, "Real legs")."""

from pathlib import Path

import numpy as np
import pytest

from metrics.core import Body, analyze
from metrics.imu_model import Body3D, GaitCycle, Wearing, bars, leggings_run

FIXTURE = Path(__file__).parent / "fixtures" / "rbds001_running_cycle.csv"


def rbds001() -> GaitCycle:
    lines = [line for line in FIXTURE.read_text().splitlines() if not line.startswith("#")]
    header = lines[0].split(",")
    rows = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    column = {name: rows[:, i] for i, name in enumerate(header)}
    duration = float(column["t"][-1] + column["t"][1])
    return GaitCycle(
        duration, np.zeros(len(rows)),
        {side: np.radians(column[f"{side}_hip_flexion"]) for side in ("left", "right")},
        {side: np.radians(column[f"{side}_knee_angle"]) for side in ("left", "right")},
        np.column_stack([column[f"pelvis_{c}"] for c in "xyz"]),
        foot_strikes={"right": np.array([0.0]), "left": np.array([duration / 2])})


@pytest.mark.parametrize("rate", [100, 200])
def test_lost_runs_of_instants_on_real_kinematics_meet_the_bars(rate):
    body = Body3D()
    recording, run = leggings_run(rbds001(), Wearing(loss=(0.03, 8), rate=rate), body, cycles=40, seed=1)
    strides, _ = analyze(recording, Body(body.thigh_m, body.shank_m))
    result = bars(strides, run, body)
    assert result["recall"] >= 0.995 and result["precision"] >= 0.995
    assert result["gaps"] >= 8  # strides with a gap were found and judged good
    assert result["gap_kick"] <= 2.0 and result["gap_knee"] <= 2.0
    assert result["worst"] <= 6.0
