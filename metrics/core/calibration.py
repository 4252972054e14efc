"""Sensor-to-segment calibration: flexion axis from the motion, long axis and gyro bias from standing.

- Flexion axis: the principal axis of the gyroscope's second moment over recent
  moving samples, de-twisted (functional calibration: in running, thigh and shank
  rotate mostly about the knee/hip flexion axis; Seel et al., "IMU-based joint angle
  measurement for gait analysis", Sensors 2014). Its sign is chosen to agree with
  the nominal z axis, which mounting errors of ≲ 10° cannot flip.
- Long axis: while standing the segment is vertical (SPEC §3, θ ≈ 0), so gravity
  gives the long axis in the sensor frame (nominal x until the runner has stood
  still); the mean gyro then is the bias. Standing is judged by the spread of the
  signals about their block means, so a large gyro bias or a noisy part is measured,
  not mistaken for motion.
- Frame: the long axis and a basis (u, v) of the plane normal to it; the flexion axis
  is an angle β in that plane, and the forward axis is normal to both.
"""

from __future__ import annotations

import numpy as np

G = 9.81
NOMINAL_X = np.array([1.0, 0.0, 0.0])
NOMINAL_Z = np.array([0.0, 0.0, 1.0])
MOVING_DPS = 60.0  # samples faster than this feed the flexion-axis estimate
STILL_GYRO_DPS = 15.0  # standing: no gyro sample further than this from the block's mean …
MAX_GYRO_BIAS_DPS = 30.0  # … which is the bias, at most this
STILL_ACCEL_MS2 = 0.8  # rms spread of the specific force about its mean, and |mean| − g, at most this
UPRIGHT_DEG = 30.0  # a static sensor further than this from its nominal "down" is not standing


def plane_basis(along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(u, v): an orthonormal basis of the plane normal to each long axis (..., 3); u is
    nominal z made normal to the long axis, v = along × u."""
    u = NOMINAL_Z - (along @ NOMINAL_Z)[..., None] * along
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    return u, cross(along, u)


def detwist(on_u: np.ndarray, on_v: np.ndarray, cos_twist: np.ndarray,
            sin_twist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A vector's (u, v) components in the plane normal to the long axis, turned back by the
    segment's twist ψ about that axis: what they would read at zero twist."""
    return on_u * cos_twist - on_v * sin_twist, on_u * sin_twist + on_v * cos_twist


def gyro_moments(x: np.ndarray, y: np.ndarray, moving: np.ndarray,
                 along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Second moments Σ ω ωᵀ (deg²/s²) per block of the de-twisted gyro (x, y) in the plane
    basis (`plane_basis`) of the long axes `along` (blocks, sensors, 3), over moving samples;
    x, y and `moving` are (sensors, blocks, n). Returns (blocks, sensors, 3, 3) moments and
    (blocks, sensors) counts.

    Thigh and shank twist about their long axis in step with the stride, so the raw flexion
    rotation sweeps a fan of directions whose θ'²-weighted mean is off the axis at zero
    twist; de-twisted, it gathers on one axis.
    """
    xm, ym = x * moving, y * moving
    xx, xy, yy = (np.einsum("sbn,sbn->bs", p, q) for p, q in ((xm, x), (xm, y), (ym, y)))
    u, v = plane_basis(along)
    uu, uv, vv = (p[..., :, None] * q[..., None, :] for p, q in ((u, u), (u, v), (v, v)))
    moments = (xx[..., None, None] * uu + xy[..., None, None] * (uv + uv.swapaxes(-1, -2))
               + yy[..., None, None] * vv)
    return moments, np.count_nonzero(moving, axis=2).T


def standing_means(accel: np.ndarray, gyro: np.ndarray, speed2: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per block (sensors, 3, blocks, n): whether every sensor stood still and upright, and the
    mean specific force and gyro of each sensor (blocks, sensors, 3) where it did (NaN elsewhere)."""
    still = speed2.max(axis=(0, 2)) <= (MAX_GYRO_BIAS_DPS + STILL_GYRO_DPS) ** 2  # cheap first look
    f_mean = np.full((len(still), accel.shape[0], 3), np.nan)
    g_mean = np.full_like(f_mean, np.nan)
    if still.any():
        f, g = accel[:, :, still], gyro[:, :, still]  # (sensors, 3, candidates, n)
        f_avg, g_avg = f.mean(axis=3), g.mean(axis=3)  # (sensors, 3, candidates)
        f_mean[still], g_mean[still] = f_avg.transpose(2, 0, 1), g_avg.transpose(2, 0, 1)
        f_spread = np.sqrt(np.mean(np.sum((f - f_avg[..., None]) ** 2, axis=1), axis=2))  # (sensors, c)
        g_jump = np.sqrt(np.sum((g - g_avg[..., None]) ** 2, axis=1).max(axis=2))
        f_norm = np.linalg.norm(f_avg, axis=1)
        cos_down = -(NOMINAL_X @ f_avg) / f_norm
        ok = ((g_jump <= STILL_GYRO_DPS) & (np.linalg.norm(g_avg, axis=1) <= MAX_GYRO_BIAS_DPS)
              & (f_spread <= STILL_ACCEL_MS2) & (np.abs(f_norm - G) <= STILL_ACCEL_MS2)
              & (cos_down >= np.cos(np.radians(UPRIGHT_DEG))))
        still[still] = ok.all(axis=0)
    return still, f_mean, g_mean


def long_axes(f_standing: np.ndarray) -> np.ndarray:
    """Each segment's long axis in its sensor frame: gravity's direction while standing (..., 3);
    nominal x where no standing was seen yet (NaN rows)."""
    along = -f_standing / np.linalg.norm(f_standing, axis=-1, keepdims=True)
    return np.where(np.isnan(along), NOMINAL_X, along)


def flexion_angles(moment: np.ndarray, count: np.ndarray, min_count: int,
                   along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The flexion axis as cos β, sin β in the plane basis (u, v) of each long axis (`plane_basis`):
    axis = cos β·u + sin β·v, nominal (β = 0) until enough motion was seen.

    The principal axis of the gyro's second moment within the plane normal to the long axis,
    so the twist of a segment about itself cannot tilt the estimate: in (u, v) the moment is a
    symmetric 2 × 2 matrix [[m_uu, m_uv], [m_uv, m_vv]] whose major axis lies at
    ½·atan2(2·m_uv, m_uu − m_vv) from u.
    """
    u, v = plane_basis(along)
    mu, mv = ((moment @ x[..., None])[..., 0] for x in (u, v))
    m_uu, m_uv, m_vv = (np.sum(x * y, axis=-1) for x, y in ((u, mu), (u, mv), (v, mv)))
    beta = np.where(count >= min_count, 0.5 * np.arctan2(2 * m_uv, m_uu - m_vv), 0.0)
    cos, sin = np.cos(beta), np.sin(beta)
    sign = np.where(cos * (u @ NOMINAL_Z) + sin * (v @ NOMINAL_Z) >= 0, 1.0, -1.0)  # toward nominal z
    return sign * cos, sign * sin


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a × b over the last axis (np.cross costs ten times more on small stacks)."""
    return np.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                     a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                     a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], axis=-1)
