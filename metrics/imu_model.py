"""Forward IMU model: what leggings IMUs would read on a body moving as measured by motion capture.

Driven by one gait cycle of joint angles in OpenSim's conventions (gait2392: world and body
frames x forward, y up, z to the right; pelvis tilt–list–rotation and hip flexion–adduction–
rotation as body-fixed Z–X–Y rotations, the left hip's X and Y axes mirrored; the knee a hinge
about z, negative when flexed) and the pelvis's path. Each sensor sits on a segment's surface
(a fraction of the way from its proximal joint, offset forward or laterally from the bone),
optionally turned by a mounting error, and reads:

- gyro: the segment's angular velocity in the sensor frame (deg/s),
- accelerometer: specific force, the sensor point's acceleration minus gravity, in the
  sensor frame (m/s²), plus the foot-strike shock travelling up the leg (a 20-ms half sine,
  4 g at the shank and 40 % of it at the thigh), and a soft-tissue wobble after each foot
  strike: the skin-mounted sensor rings against the bone (rotation and translation).

Derivatives are spectral (the cycle is periodic), so the signals are exact for the data.
Output columns follow SPEC §3/§4 (x down the segment, y forward, z right). Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from metrics.core import Recording

G = 9.81
SEGMENTS = ("left_thigh", "left_shank", "right_thigh", "right_shank")
HIP_IN_PELVIS = np.array([-0.0707, -0.0661, 0.0835])  # gait2392, right hip; left mirrors z


@dataclass
class GaitCycle:
    """Periodic gait sampled at n instants over `duration` s (angles in radians): one cycle, or
    several that vary from stride to stride (`vary`)."""

    duration: float
    pelvis_tilt: np.ndarray
    hip_flexion: dict[str, np.ndarray]  # per side "left"/"right"
    knee_angle: dict[str, np.ndarray]  # OpenSim: negative = flexed
    pelvis_position: np.ndarray  # (n, 3) m, the mean forward speed removed
    pelvis_list: np.ndarray | None = None
    pelvis_rotation: np.ndarray | None = None
    hip_adduction: dict[str, np.ndarray] = field(default_factory=dict)
    hip_rotation: dict[str, np.ndarray] = field(default_factory=dict)
    foot_strikes: dict[str, np.ndarray] = field(default_factory=dict)  # per side, times (s)

    @property
    def n(self) -> int:
        return len(self.pelvis_tilt)


@dataclass(frozen=True)
class Placement:
    """Where and how a sensor sits on its segment."""

    at: float = 0.5  # fraction of the segment from its proximal joint
    surface: str = "lateral"  # "lateral" or "front"
    depth_m: float = 0.06  # bone axis to skin
    mounting: tuple[float, float, float] = (0.0, 0.0, 0.0)  # extra rotation (deg) about x, y, z


@dataclass(frozen=True)
class SoftTissue:
    """Damped ringing of the skin-mounted sensor against the bone after each foot strike."""

    rotation_deg: float = 1.5
    translation_m: float = 0.002
    frequency_hz: float = 16.0
    decay_s: float = 0.04


@dataclass(frozen=True)
class Body3D:
    thigh_m: float = 0.40
    shank_m: float = 0.43


def _rot(axis: int, angle: np.ndarray) -> np.ndarray:
    """(n, 3, 3) rotations by `angle` about body axis 0 = x, 1 = y, 2 = z."""
    c, s = np.cos(angle), np.sin(angle)
    out = np.zeros((len(angle), 3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out[:, axis, axis] = 1
    out[:, i, i], out[:, j, j], out[:, i, j], out[:, j, i] = c, c, -s, s
    return out


def _zxy(z: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _rot(2, z) @ _rot(0, x) @ _rot(1, y)


def spectral_derivative(values: np.ndarray, duration: float, order: int = 1) -> np.ndarray:
    """d^order/dt^order of a periodic signal sampled along axis 0."""
    n = len(values)
    factor = (2j * np.pi * np.fft.rfftfreq(n, duration / n)) ** order
    shape = (-1,) + (1,) * (values.ndim - 1)
    return np.fft.irfft(np.fft.rfft(values, axis=0) * factor.reshape(shape), n, axis=0)


def resample_cycle(values: np.ndarray, samples: int) -> np.ndarray:
    """A periodic signal (axis 0) resampled to `samples` points by Fourier interpolation."""
    from scipy.signal import resample

    return resample(values, samples, axis=0)


def segment_frames(cycle: GaitCycle, body: Body3D) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per segment: (rotation (n, 3, 3) body → world, proximal joint position (n, 3))."""
    zero = np.zeros(cycle.n)
    pelvis = _zxy(cycle.pelvis_tilt, cycle.pelvis_list if cycle.pelvis_list is not None else zero,
                  cycle.pelvis_rotation if cycle.pelvis_rotation is not None else zero)
    out = {}
    for side, mirror in (("left", -1.0), ("right", 1.0)):
        hip = cycle.pelvis_position + pelvis @ (HIP_IN_PELVIS * [1, 1, mirror])
        femur = pelvis @ _zxy(cycle.hip_flexion[side], mirror * cycle.hip_adduction.get(side, zero),
                              mirror * cycle.hip_rotation.get(side, zero))
        knee = hip + femur @ np.array([0.0, -body.thigh_m, 0.0])
        tibia = femur @ _rot(2, cycle.knee_angle[side])
        out[f"{side}_thigh"] = (femur, hip)
        out[f"{side}_shank"] = (tibia, knee)
    return out


def true_angles(cycle: GaitCycle, body: Body3D) -> dict[str, np.ndarray]:
    """SPEC §3 sagittal angle (deg) of each segment's proximal→distal line, per instant."""
    frames = segment_frames(cycle, body)
    out = {}
    for name, (rotation, _) in frames.items():
        length = body.thigh_m if name.endswith("thigh") else body.shank_m
        axis = rotation @ np.array([0.0, -length, 0.0])
        out[name] = np.degrees(np.arctan2(axis[:, 0], -axis[:, 1]))
    return out


IMPACT_S = 0.02  # the foot-strike shock, a half sine along the segment, up


def imu_signals(cycle: GaitCycle, body: Body3D, placement: dict[str, Placement] | Placement,
                tissue: SoftTissue | None = SoftTissue(), impact_g: float = 4.0) -> np.ndarray:
    """(n, 24) readings over the cycle, SPEC §4 column order (left thigh, left shank, right thigh,
    right shank; each ax, ay, az, gx, gy, gz in its nominal frame)."""
    frames = segment_frames(cycle, body)
    t = np.arange(cycle.n) * cycle.duration / cycle.n
    columns = []
    for name in SEGMENTS:
        rotation, joint = frames[name]
        where = placement[name] if isinstance(placement, dict) else placement
        length = body.thigh_m if name.endswith("thigh") else body.shank_m
        outward = 1.0 if name.startswith("right") else -1.0
        depth = where.depth_m
        offset = [depth, 0.0, 0.0] if where.surface == "front" else [0.0, 0.0, outward * depth]
        local = np.array(offset) + [0.0, -where.at * length, 0.0]
        # Sensor frame in the segment: nominal (x down the segment, y forward, z right) as columns,
        # turned by the mounting error.
        nominal = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # rows: seg → sensor
        mount = _zxy(*(np.radians([where.mounting[k]]) for k in (2, 0, 1)))[0]
        to_sensor = mount.T @ nominal  # segment coordinates → sensor coordinates
        wobble_rot, wobble_pos = _wobble(t, cycle, name, tissue)
        world = rotation @ _rot(2, wobble_rot)  # sensor rocks about the flexion axis
        position = joint + np.einsum("nij,j->ni", rotation, local) + np.einsum(
            "nij,nj->ni", rotation, wobble_pos)
        accel = spectral_derivative(position, cycle.duration, 2) + [0.0, G, 0.0]
        specific = np.einsum("nji,nj->ni", world, accel)  # world → segment frame
        specific[:, 1] += _impact(t, cycle, name, impact_g)
        turning = spectral_derivative(world, cycle.duration)
        omega_skew = np.einsum("nji,njk->nik", world, turning)  # Rᵀ Ṙ, body angular velocity
        omega = np.stack([omega_skew[:, 2, 1], omega_skew[:, 0, 2], omega_skew[:, 1, 0]], axis=1)
        columns.append(np.hstack([specific @ to_sensor.T, np.degrees(omega) @ to_sensor.T]))
    return np.hstack(columns)


def _since_strike(t: np.ndarray, cycle: GaitCycle, name: str) -> np.ndarray | None:
    """Seconds since the latest foot strike of the segment's leg (None without strikes)."""
    strikes = cycle.foot_strikes.get(name.split("_")[0])
    if strikes is None or not len(strikes):
        return None
    strikes = np.sort(np.concatenate([strikes, strikes - cycle.duration]))  # the cycle wraps round
    return t - strikes[np.maximum(np.searchsorted(strikes, t, side="right") - 1, 0)]


def _impact(t: np.ndarray, cycle: GaitCycle, name: str, impact_g: float) -> np.ndarray:
    since = _since_strike(t, cycle, name)
    if since is None or not impact_g:
        return np.zeros(len(t))
    scale = 1.0 if name.endswith("shank") else 0.4
    return np.where(since < IMPACT_S, impact_g * G * scale * np.sin(np.pi * since / IMPACT_S), 0.0)


def _wobble(t: np.ndarray, cycle: GaitCycle, name: str,
            tissue: SoftTissue | None) -> tuple[np.ndarray, np.ndarray]:
    """Rotation (rad, about the flexion axis) and translation (m, segment frame) of the sensor
    against the bone: a damped ring after each foot strike of the segment's leg."""
    n = len(t)
    since = _since_strike(t, cycle, name)
    if tissue is None or since is None:
        return np.zeros(n), np.zeros((n, 3))
    ring = np.exp(-since / tissue.decay_s) * np.sin(2 * np.pi * tissue.frequency_hz * since)
    scale = 1.0 if name.endswith("thigh") else 0.7  # less soft tissue on the shank
    rotation = np.radians(tissue.rotation_deg) * scale * ring
    translation = np.zeros((n, 3))
    translation[:, 0] = tissue.translation_m * scale * ring
    return rotation, translation


def vary(cycle: GaitCycle, cycles: int, seed: int, timing: float = 0.03,
         amplitude: float = 0.04) -> GaitCycle:
    """`cycles` strides of the measured cycle, each a little faster or slower (±timing) and with
    a little more or less knee and hip motion (±amplitude), smoothly: real strides are never
    copies, so a stride's start and end are never in quite the same state."""
    rng = np.random.default_rng(seed)
    n, fine = cycle.n, 64 * cycle.n
    total = cycles * cycle.duration
    t = np.arange(cycles * n) * total / (cycles * n)

    def wave(depth: float) -> np.ndarray:
        periods = rng.integers(3, 9, 3)
        phases = rng.uniform(0, 2 * np.pi, 3)
        return depth * sum(np.sin(2 * np.pi * k * t / total + p) for k, p in zip(periods, phases,
                                                                                   strict=True)) / 3

    phase = t / cycle.duration + wave(timing) * cycles / (2 * np.pi * 5)  # phase drifts ±timing a stride
    at = (phase % 1.0) * fine

    def follow(values: np.ndarray) -> np.ndarray:
        dense = resample_cycle(values, fine)
        return np.interp(at, np.arange(fine), dense, period=fine)

    gain = 1 + wave(amplitude)

    def swing(values: np.ndarray) -> np.ndarray:
        mean = values.mean()
        return mean + (follow(values) - mean) * gain

    def each(d: dict[str, np.ndarray], moved=follow) -> dict[str, np.ndarray]:
        return {side: moved(values) for side, values in d.items()}

    strikes = {side: np.interp(np.arange(np.ceil(phase[0]), phase[-1]) + fraction, phase, t)
               for side, fraction in _strike_phases(cycle).items()}
    return GaitCycle(
        total, follow(cycle.pelvis_tilt), each(cycle.hip_flexion, swing), each(cycle.knee_angle, swing),
        np.column_stack([follow(cycle.pelvis_position[:, k]) for k in range(3)]),
        None if cycle.pelvis_list is None else follow(cycle.pelvis_list),
        None if cycle.pelvis_rotation is None else follow(cycle.pelvis_rotation),
        each(cycle.hip_adduction), each(cycle.hip_rotation), strikes)


def _strike_phases(cycle: GaitCycle) -> dict[str, float]:
    return {side: float(times[0] / cycle.duration) % 1.0 for side, times in cycle.foot_strikes.items()}


# ---------------------------------------------------------------- a run as the leggings read it

@dataclass(frozen=True)
class Wearing:
    """How a run is worn and read: where the sensors sit, soft tissue, thigh internal rotation
    added to both hips, the posture while standing still before it, lost notifications
    (fraction, instants each) and the sample rate."""

    placement: Placement = Placement()
    tissue: SoftTissue | None = SoftTissue()
    internal_rotation_deg: float = 0.0
    stand_knee_deg: float = 0.0
    stand_pelvis_deg: float = 0.0
    loss: tuple[float, int] = (0.0, 1)
    rate: int = 200


STAND_S = 3.0


def standing_still(body: Body3D, wearing: Wearing, seconds: float = STAND_S) -> np.ndarray:
    """IMU readings (n, 24) of a runner standing still in the wearing's posture."""
    n = int(seconds * wearing.rate)
    knee = np.full(n, -np.radians(wearing.stand_knee_deg))
    tilt = np.full(n, np.radians(wearing.stand_pelvis_deg))
    # Pelvis tilted forward, thighs upright: the hip flexes by the tilt's opposite. A flexed
    # knee in quiet stance keeps the foot under the hip: thigh forward, shank back by half each.
    hip = np.full(n, -np.radians(wearing.stand_pelvis_deg) + np.radians(wearing.stand_knee_deg) / 2)
    still = GaitCycle(seconds, tilt, {"left": hip, "right": hip}, {"left": knee, "right": knee},
                      np.zeros((n, 3)))
    return imu_signals(still, body, wearing.placement, tissue=None)


def leggings_run(cycle: GaitCycle, wearing: Wearing, body: Body3D, cycles: int,
                 seed: int = 0) -> tuple[Recording, GaitCycle]:
    """STAND_S s of standing still, then `cycles` varied strides of the cycle, as the leggings
    read them (noise, gyro bias, lost notifications), and the strides that were run."""
    if wearing.internal_rotation_deg:
        turn = np.full(cycle.n, np.radians(wearing.internal_rotation_deg))
        cycle = replace(cycle, hip_rotation={s: cycle.hip_rotation.get(s, 0 * turn) + turn
                                             for s in ("left", "right")})
    strides = vary(cycle, cycles, seed)
    running = resample_cycle(imu_signals(strides, body, wearing.placement, wearing.tissue),
                             int(round(strides.duration * wearing.rate)))
    imu = np.vstack([standing_still(body, wearing), running])
    return _sensor_errors(imu, wearing, seed), strides


def _sensor_errors(imu: np.ndarray, wearing: Wearing, seed: int) -> Recording:
    rng = np.random.default_rng(seed)
    imu = imu.copy()
    for k in range(4):
        imu[:, 6 * k: 6 * k + 3] += rng.normal(0, 0.08, (len(imu), 3))
        imu[:, 6 * k + 3: 6 * k + 6] += rng.normal(0, 0.3, (len(imu), 3)) + rng.uniform(-2, 2, 3)
    t = np.arange(len(imu)) / wearing.rate
    keep = np.ones(len(imu), dtype=bool)
    fraction, run = wearing.loss
    if fraction:
        lost = rng.random(len(imu) // run + 1) < fraction
        keep = ~np.repeat(lost, run)[: len(imu)]
    return Recording(t[keep], imu[keep])


def bars(strides: list, run: GaitCycle, body: Body3D) -> dict[str, float]:
    """SPEC §7 bars of the engine's strides on a `leggings_run`: recall and precision against
    the run's foot strikes (a stride starts within 50 ms of one), RMSE of kickback and knee
    elevation over all strides and over good strides with a gap (> 20 ms), the worst good
    stride (deg), how many strides are low-quality, and how many good ones hold a gap."""
    truth = true_angles(run, body)
    t_truth = np.arange(run.n) * run.duration / run.n + STAND_S
    found, expected, detected, errors = 0, 0, 0, []
    for side in ("left", "right"):
        inner = (run.foot_strikes[side] + STAND_S)[2:-1]  # whole strides, past the start from standing
        expected += len(inner) - 1
        mine = [s for s in strides if s.leg == side]
        starts = np.array([s.t_start for s in mine])
        detected += int(np.sum((starts >= inner[0] - 0.05) & (starts <= inner[-2] + 0.05)))
        knee_flexion = truth[f"{side}_thigh"] - truth[f"{side}_shank"]
        for a, b in zip(inner[:-1], inner[1:], strict=True):
            near = np.flatnonzero(np.abs(starts - a) < 0.05) if len(starts) else []
            if not len(near):
                continue
            s = mine[int(near[0])]
            found += 1
            inside = (t_truth >= a) & (t_truth <= b)
            errors.append((s.kickback_deg - knee_flexion[inside].max(),
                           s.knee_elevation_deg - truth[f"{side}_thigh"][inside].max(),
                           s.quality["longest_gap_ms"] > 20, s.quality["low"]))
    e = np.array(errors, dtype=float)
    good = e[:, 3] == 0
    gap = (e[:, 2] == 1) & good
    return {"recall": found / expected, "precision": found / max(detected, 1),
            "kick": float(np.sqrt(np.mean(e[:, 0] ** 2))), "knee": float(np.sqrt(np.mean(e[:, 1] ** 2))),
            "gap_kick": float(np.sqrt(np.mean(e[gap, 0] ** 2))) if gap.any() else float("nan"),
            "gap_knee": float(np.sqrt(np.mean(e[gap, 1] ** 2))) if gap.any() else float("nan"),
            "worst": float(np.abs(e[good, :2]).max()), "low": int((~good).sum()), "gaps": int(gap.sum())}
