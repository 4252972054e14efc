"""The forward IMU model behind bench/real_kinematics.py reads what SPEC §3 says a sensor reads."""

import numpy as np
import pytest

from metrics.imu_model import Body3D, GaitCycle, Placement, SoftTissue, imu_signals, true_angles, vary

N = 128


def _cycle(hip_deg, knee_deg, duration=1.0, pelvis=None) -> GaitCycle:
    hip, knee = (np.broadcast_to(np.radians(x), (N,)).astype(float) for x in (hip_deg, knee_deg))
    return GaitCycle(duration, np.zeros(N), {"left": hip, "right": hip}, {"left": -knee, "right": -knee},
                     np.zeros((N, 3)) if pelvis is None else pelvis,
                     foot_strikes={"left": np.array([0.5]), "right": np.array([0.0])})


@pytest.mark.parametrize("hip,knee", [(0, 0), (30, 0), (25, 70)])
def test_standing_still_reads_gravity_at_the_segment_angles(hip, knee):
    imu = imu_signals(_cycle(hip, knee), Body3D(), Placement(), tissue=None)[0]
    truth = true_angles(_cycle(hip, knee), Body3D())
    for k, name in enumerate(("left_thigh", "left_shank", "right_thigh", "right_shank")):
        ax, ay, az, *gyro = imu[6 * k: 6 * k + 6]
        assert np.hypot(ax, ay) == pytest.approx(9.81) and az == pytest.approx(0, abs=1e-9)
        assert np.degrees(np.arctan2(ay, -ax)) == pytest.approx(truth[name][0])  # SPEC §3: θ = atan2(ay, −ax)
        assert gyro == pytest.approx([0, 0, 0], abs=1e-9)
    assert truth["right_thigh"][0] - truth["right_shank"][0] == pytest.approx(knee)


def test_a_swinging_thigh_reads_its_rate_and_its_centripetal_force():
    t = np.arange(N) / N
    hip = 30 * np.sin(2 * np.pi * t)
    imu = imu_signals(_cycle(hip, 0), Body3D(), Placement(at=0.5, depth_m=0.0), tissue=None, impact_g=0)
    rate = np.radians(30) * 2 * np.pi * np.cos(2 * np.pi * t)  # rad/s
    assert imu[:, 17] == pytest.approx(np.degrees(rate), abs=1e-6)  # right thigh gz
    theta = np.radians(hip)
    # Along the thigh (x, down): gravity's share plus the centripetal pull towards the hip.
    expected_ax = -9.81 * np.cos(theta) - 0.5 * Body3D().thigh_m * rate**2
    assert imu[:, 12] == pytest.approx(expected_ax, abs=1e-6)


def test_soft_tissue_rings_after_each_foot_strike_and_dies_away():
    still = _cycle(0, 0)
    quiet = imu_signals(still, Body3D(), Placement(), tissue=None)
    ringing = imu_signals(still, Body3D(), Placement(), tissue=SoftTissue())
    wobble = np.abs(ringing[:, 12 + 1] - quiet[:, 12 + 1])  # right thigh, forward force
    assert wobble[:N // 8].max() > 1.0  # within 125 ms of the right foot strike at t = 0
    assert wobble[3 * N // 8: N // 2].max() < 0.05 * wobble[:N // 8].max()


def test_varied_strides_differ_in_time_and_amplitude():
    t = np.arange(N) / N
    cycle = _cycle(30 * np.sin(2 * np.pi * t), 60 + 40 * np.sin(2 * np.pi * t), duration=0.7)
    run = vary(cycle, 20, seed=1)
    assert run.duration == pytest.approx(14.0) and run.n == 20 * N
    knee = -np.degrees(run.knee_angle["right"]).reshape(20, N)
    assert np.ptp(knee.max(axis=1)) > 1.0  # strides are not copies
    assert len(run.foot_strikes["right"]) >= 19
    assert np.ptp(np.diff(run.foot_strikes["right"])) > 0.005


def test_each_foot_strike_sends_a_shock_up_the_leg():
    still = _cycle(0, 0)
    calm = imu_signals(still, Body3D(), Placement(), tissue=None, impact_g=0)
    struck = imu_signals(still, Body3D(), Placement(), tissue=None, impact_g=4.0)
    shock = calm[:, 18] - struck[:, 18]  # right shank, along the segment (x points down: up is −x)
    assert shock.max() == pytest.approx(4 * 9.81, rel=0.1) and shock[N // 4:].max() < 1e-9
    assert (calm[:, 12] - struck[:, 12]).max() == pytest.approx(0.4 * 4 * 9.81, rel=0.1)  # thigh: 40 %
