"""The simulator obeys the physics the engine relies on (SPEC §3 frames and units)."""

import numpy as np

from metrics.simulator import Phase, SensorErrors, simulate

PERFECT = SensorErrors(misalignment_deg=0, mount_shift_deg_per_hour=0, gyro_bias_dps=0,
                       gyro_drift_dps_per_hour=0,
                       gyro_noise_dps=0, accel_bias_ms2=0, accel_noise_ms2=0, long_axis_rotation_deg=0)


def test_standing_reads_gravity_along_minus_x():
    sim = simulate([Phase("stand", 3.0)], sample_rate=100, errors=PERFECT)
    accel = sim.imu["left_thigh"][:, :3]
    assert np.allclose(accel.mean(axis=0), [-9.81, 0, 0], atol=0.2)


def test_gyro_z_is_the_rate_of_the_segment_angle():
    sim = simulate([Phase("stand", 1.0), Phase("run", 6.0, 4.0)], sample_rate=200, errors=PERFECT)
    theta = sim.true_angles["right_shank"]
    rate = np.gradient(theta, sim.t)
    gz = sim.imu["right_shank"][:, 5]
    inner = slice(400, -10)
    assert np.corrcoef(rate[inner], gz[inner])[0, 1] > 0.999
    assert np.abs(rate[inner] - gz[inner]).max() < 15


def test_kickback_and_knee_elevation_rise_with_speed():
    slow = simulate([Phase("run", 20.0, 2.5)], sample_rate=100, seed=1)
    fast = simulate([Phase("run", 20.0, 6.0)], sample_rate=100, seed=1)
    kick = [np.median([s.kickback_deg for s in sim.strides if s.running]) for sim in (slow, fast)]
    knee = [np.median([s.knee_elevation_deg for s in sim.strides if s.running]) for sim in (slow, fast)]
    assert kick[1] > kick[0] + 20 and knee[1] > knee[0] + 10


def test_packet_loss_removes_whole_interleaved_notifications():
    sim = simulate([Phase("run", 60.0, 3.0)], sample_rate=200,
                   errors=SensorErrors(packet_loss=0.05, samples_per_packet=5, packet_interleave=2))
    assert 0.04 < 1 - len(sim.t) / 12000 < 0.06
    steps = np.round(np.diff(sim.t) * 200).astype(int)
    # One lost notification leaves 1–2-sample holes; only losing both of a frame leaves a long one.
    short, long = ((steps > 1) & (steps <= 3)).sum(), (steps > 3).sum()
    assert short > 200 and long < short / 10
