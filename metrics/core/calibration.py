"""Sensor-to-segment calibration: flexion axis from the motion, long axis and gyro bias from standing.

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


def gyro_moments(gyro: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Second moments Σ ω ωᵀ (deg²/s²) of each sensor's moving samples, and their counts.

    `gyro` is (n, sensors, 3); the results are (sensors, 3, 3) and (sensors,).
    """
    moving = np.einsum("nsk,nsk->ns", gyro, gyro) > MOVING_DPS**2
    kept = gyro * moving[:, :, None]
    return np.einsum("nsi,nsj->sij", kept, kept), moving.sum(axis=0)


def standing_means(accel: np.ndarray, gyro: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean specific force and gyro of every sensor over a block, if all stood still and upright."""
    if np.max(np.linalg.norm(gyro, axis=2)) > STATIC_GYRO_DPS:
        return None
    if np.max(np.abs(np.linalg.norm(accel, axis=2) - G)) > STATIC_ACCEL_MS2:
        return None
    f_mean = accel.mean(axis=0)
    cos_down = -f_mean @ NOMINAL_X / np.linalg.norm(f_mean, axis=1)
    if np.any(cos_down < np.cos(np.radians(UPRIGHT_DEG))):
        return None
    return f_mean, gyro.mean(axis=0)


def long_axes(f_standing: np.ndarray | None, sensors: int) -> np.ndarray:
    """Each segment's long axis in its sensor frame: gravity's direction while standing."""
    if f_standing is None:
        return np.tile(NOMINAL_X, (sensors, 1))
    return -f_standing / np.linalg.norm(f_standing, axis=1, keepdims=True)


def flexion_axes(moment: np.ndarray, count: np.ndarray, min_count: int, along: np.ndarray) -> np.ndarray:
    """Unit flexion axes normal to the long axes; nominal z until enough motion was seen.

    The gyro's second moment is projected off the long axis first, so the twist of a
    segment about itself cannot tilt the estimate.
    """
    projection = np.eye(3) - along[:, :, None] * along[:, None, :]
    _, vectors = np.linalg.eigh(projection @ moment @ projection)
    axis = vectors[:, :, -1]
    nominal = NOMINAL_Z - (along @ NOMINAL_Z)[:, None] * along
    axis = np.where((count >= min_count)[:, None], axis, nominal)
    axis = axis * np.where(axis @ NOMINAL_Z >= 0, 1.0, -1.0)[:, None]
    return axis / np.linalg.norm(axis, axis=1, keepdims=True)


def sagittal_bases(axis: np.ndarray, along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b): each long axis and forward axis, both normal to the flexion `axis`."""
    a = along - np.sum(along * axis, axis=1, keepdims=True) * axis
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    return a, np.cross(axis, a)
