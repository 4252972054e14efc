"""Sensor-to-segment calibration: flexion axis from the motion, tilt and gyro bias from standing.

- Flexion axis: the principal axis of the gyroscope's second moment over recent
  moving samples (functional calibration: in running, thigh and shank rotate
  mostly about the knee/hip flexion axis; Seel et al., "IMU-based joint angle
  measurement for gait analysis", Sensors 2014). Its sign is chosen to agree with
  the nominal z axis, which mounting errors of ≲ 10° cannot flip.
- Long axis: while standing the segment is vertical (SPEC §3, θ ≈ 0), so gravity
  gives the long axis in the sensor frame (nominal x until the runner has stood
  still); the mean gyro then is the bias.
- Sagittal basis: that long axis and the forward axis, both normal to the flexion
  axis, which is estimated from the gyro with the long-axis component removed.
"""

from __future__ import annotations

import numpy as np

G = 9.81
NOMINAL_X = np.array([1.0, 0.0, 0.0])
NOMINAL_Z = np.array([0.0, 0.0, 1.0])
MOVING_DPS = 60.0  # samples faster than this feed the flexion-axis estimate
STATIC_GYRO_DPS = 15.0
STATIC_ACCEL_MS2 = 0.8
UPRIGHT_DEG = 30.0  # a static sensor further than this from its nominal "down" is not standing


def gyro_moment(gyro: np.ndarray) -> tuple[np.ndarray, int]:
    """Second moment Σ ω ωᵀ of the moving samples of one sensor (deg²/s²), and their count."""
    moving = gyro[np.einsum("ij,ij->i", gyro, gyro) > MOVING_DPS**2]
    return moving.T @ moving, len(moving)


def long_axis(f_standing: np.ndarray | None) -> np.ndarray:
    """The segment's long axis in the sensor frame: gravity's direction while standing."""
    if f_standing is None:
        return NOMINAL_X
    return -f_standing / np.linalg.norm(f_standing)


def flexion_axis(moment: np.ndarray, count: int, min_count: int, along: np.ndarray) -> np.ndarray:
    """Unit flexion axis, normal to the long axis `along`; nominal until enough motion was seen.

    The gyro's second moment is projected off the long axis first, so the twist of the
    segment about itself cannot tilt the estimate.
    """
    if count < min_count:
        axis = NOMINAL_Z - (NOMINAL_Z @ along) * along
        return axis / np.linalg.norm(axis)
    projection = np.eye(3) - np.outer(along, along)
    _, vectors = np.linalg.eigh(projection @ moment @ projection)
    axis = vectors[:, -1]
    return axis if axis @ NOMINAL_Z >= 0 else -axis


def sagittal_basis(axis: np.ndarray, along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b): the long axis and the forward axis, both normal to the flexion `axis`."""
    a = along - (along @ axis) * axis
    a /= np.linalg.norm(a)
    return a, np.cross(axis, a)


def standing_means(accel: np.ndarray, gyro: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean specific force and gyro of one sensor over a block, if it stood still and upright."""
    if np.max(np.linalg.norm(gyro, axis=1)) > STATIC_GYRO_DPS:
        return None
    norms = np.linalg.norm(accel, axis=1)
    if np.max(np.abs(norms - G)) > STATIC_ACCEL_MS2:
        return None
    f_mean = accel.mean(axis=0)
    cos_down = -f_mean @ NOMINAL_X / np.linalg.norm(f_mean)
    if cos_down < np.cos(np.radians(UPRIGHT_DEG)):
        return None
    return f_mean, gyro.mean(axis=0)


def static_tilt(f_mean: np.ndarray | None, a: np.ndarray, b: np.ndarray) -> float:
    """Sagittal tilt (rad) of the sensor while the segment stood vertical; 0 when never seen."""
    if f_mean is None:
        return 0.0
    return float(np.arctan2(f_mean @ b, -(f_mean @ a)))
