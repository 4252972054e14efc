"""Gait simulator: the four IMU signals of a running person, with per-stride ground truth.

Pure numpy/scipy, shared by the metrics tests, the benchmarks and the ingest agent's
virtual leggings. Physics, in the sagittal plane (X forward, Z up, Y left):

- Thigh and shank angles θ(t) follow C²-continuous splines through per-stride knots
  (initial contact, mid-stance, toe-off, peak knee flexion, peak thigh flexion,
  forward swing), whose values rise with speed and vary stride to stride.
- The hip's specific force is the ground reaction force per unit mass: half-sine
  vertical impulses that carry body weight over each step (zero in flight), a
  braking/propulsive horizontal component, an impact transient at each contact.
- Each sensor's specific force is the hip's plus its segments' rigid-body terms,
  d·(θ''·n − θ'²·u), and its angular velocity is θ' about the lateral axis plus a
  long-axis rotation ψ' (real thighs and shanks rotate off the sagittal axis).
- Then the sensor frame: mounting misalignment (a fixed rotation that slowly
  shifts), gyro bias with drift, noise, int16 quantisation and saturation,
  impact shocks on the shank, lost packets (missing rows, in BLE-packet bursts).

Units: s, m/s², deg/s, degrees (SPEC §3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.spatial.transform import Rotation

G = 9.81
SENSORS = ("left_thigh", "left_shank", "right_thigh", "right_shank")
GYRO_RANGE_DPS = 2000.0
ACCEL_RANGE_G = 32  # the leggings' declared accelerometer range (docs/ble-protocol.md)


@dataclass(frozen=True)
class Phase:
    """A stretch of the session: `mode` is "stand", "walk" or "run"; speed ramps start → end."""

    mode: str
    seconds: float
    speed: float = 0.0
    speed_end: float | None = None


@dataclass(frozen=True)
class Runner:
    height_m: float = 1.75
    kickback_offset_deg: float = 0.0
    knee_offset_deg: float = 0.0
    asymmetry_pct: float = 0.0  # right leg's kickback and knee elevation lower by this %
    lever_factor: float = 1.3  # hip travel in stance ÷ ankle sweep (foot roll, pelvis)
    fatigue_deg_per_hour: float = 0.0  # kickback loss with time

    @property
    def thigh_m(self) -> float:
        return 0.245 * self.height_m

    @property
    def shank_m(self) -> float:
        return 0.246 * self.height_m


@dataclass(frozen=True)
class SensorErrors:
    misalignment_deg: float = 10.0
    mount_shift_deg_per_hour: float = 3.0  # the garment creeps on the leg as the run goes on
    gyro_bias_dps: float = 2.0
    gyro_drift_dps_per_hour: float = 1.0
    gyro_noise_dps: float = 0.3
    accel_bias_ms2: float = 0.15
    accel_noise_ms2: float = 0.08
    impact_g: float = 4.0
    long_axis_rotation_deg: float = 8.0
    packet_loss: float = 0.0
    samples_per_packet: int = 5
    packet_interleave: int = 2  # notifications interleave their instants (docs/ble-protocol.md)
    accel_range_g: float = ACCEL_RANGE_G


@dataclass
class TrueStride:
    leg: str
    t_start: float
    t_toe_off: float
    t_end: float
    kickback_deg: float
    shank_back_deg: float
    knee_elevation_deg: float
    speed_mps: float
    running: bool  # a steady running stride (not a walk/run transition)


@dataclass
class Simulation:
    t: np.ndarray  # (N,) seconds, rows lost to packet loss removed
    imu: dict[str, np.ndarray]  # sensor → (N, 6): ax, ay, az (m/s²), gx, gy, gz (deg/s)
    strides: list[TrueStride]
    runner: Runner
    sample_rate: float
    true_angles: dict[str, np.ndarray] = field(default_factory=dict)  # segment θ at every t

    def as_rows(self) -> np.ndarray:
        """(N, 25) array in the SPEC §4 column order: t, then each sensor's six columns."""
        return np.column_stack([self.t] + [self.imu[s] for s in SENSORS])


# Knot tables: (phase fraction key, value) built per stride from speed.
def _run_knots(v: float, duty: float, kb: float, ke: float) -> tuple[list, list]:
    """Thigh and shank knots (phase in stride, angle in degrees) of one running stride."""
    t_ic, t_to = 0.62 * ke, -(10 + 2.0 * v)
    swing_forward = 12 + 2.0 * v
    s_ic, s_to = swing_forward - 4, -(35 + 2.0 * v)
    kb_phase = duty + 0.33 * (1 - duty)
    ke_phase = 0.84
    thigh_at_kb = t_to + 0.75 * (ke - t_to)
    thigh = [
        (0.0, t_ic),
        (duty / 2, (t_ic + t_to) / 2 - 2),
        (duty, t_to),
        (kb_phase, thigh_at_kb),
        (ke_phase, ke),
        (0.95, 0.5 * (ke + t_ic) + 0.2 * (ke - t_ic)),
    ]
    shank = [
        (0.0, s_ic),
        (duty / 2, (t_ic + t_to) / 2 - 2 - (24 + 2 * v)),
        (duty, s_to),
        (kb_phase, thigh_at_kb - kb),
        (0.75 + 0.1 * duty, 0.5 * (thigh_at_kb - kb) + 0.5 * swing_forward),
        (0.95, swing_forward),
    ]
    return thigh, shank


def _walk_knots(kb: float = 60.0) -> tuple[list, list]:
    thigh = [(0.0, 22.0), (0.3, 5.0), (0.55, -12.0), (0.72, 5.0), (0.88, 25.0)]
    shank = [(0.0, 8.0), (0.3, -10.0), (0.55, -35.0), (0.72, 5.0 - kb), (0.9, 20.0)]
    return thigh, shank


def _running_targets(v: float, runner: Runner, rng: np.random.Generator, hours: float):
    """Kickback and knee-elevation targets at speed v, with stride-to-stride jitter."""
    kickback = min(70 + 12 * v, 142) + runner.kickback_offset_deg + rng.normal(0, 2.5)
    kickback -= runner.fatigue_deg_per_hour * hours
    knee = min(20 + 5.0 * v, 68) + runner.knee_offset_deg + rng.normal(0, 1.5)
    return kickback, knee


def _stance_sweep(thigh: list, shank: list, runner: Runner) -> float:
    """Horizontal ankle travel (relative to the hip) from IC to TO, from the knot angles."""
    (_, t_ic), (_, t_to) = thigh[0], thigh[2]
    (_, s_ic), (_, s_to) = shank[0], shank[2]
    lt, ls = runner.thigh_m, runner.shank_m

    def ankle_x(thigh_deg: float, shank_deg: float) -> float:
        return lt * np.sin(np.radians(thigh_deg)) + ls * np.sin(np.radians(shank_deg))

    return ankle_x(t_ic, s_ic) - ankle_x(t_to, s_to)


def _phase_bounds(phases: list[Phase]) -> np.ndarray:
    return np.cumsum([0.0] + [p.seconds for p in phases])


def _speed_at(phases: list[Phase], t: float) -> tuple[str, float, float]:
    """Mode, speed and forward acceleration of the schedule at time t."""
    bounds = _phase_bounds(phases)
    i = min(int(np.searchsorted(bounds, t, side="right")) - 1, len(phases) - 1)
    phase = phases[max(i, 0)]
    end_speed = phase.speed if phase.speed_end is None else phase.speed_end
    frac = min(max((t - bounds[i]) / phase.seconds, 0.0), 1.0)
    return phase.mode, phase.speed + frac * (end_speed - phase.speed), (
        end_speed - phase.speed
    ) / phase.seconds


@dataclass(frozen=True)
class _Cycle:
    t: float
    duration: float
    mode: str
    speed: float
    accel: float


def _left_cycles(phases: list[Phase], rng) -> list[_Cycle]:
    """The left leg's gait cycles (pseudo-cycles of 0.3 s while standing)."""
    total = _phase_bounds(phases)[-1]
    cycles, t = [], 0.0
    while t < total:
        mode, v, accel = _speed_at(phases, t)
        if mode == "stand":
            duration = 0.3
        elif mode == "walk":
            duration = 1.1 * (1 + rng.normal(0, 0.02))
        else:
            duration = 120.0 / (150 + 8.0 * v) * (1 + rng.normal(0, 0.015))
        cycles.append(_Cycle(t, duration, mode, v, accel))
        t += duration
    return cycles


def _right_cycles(left: list[_Cycle], rng) -> list[_Cycle]:
    """The right leg steps half a cycle after the left."""
    starts = [c.t + c.duration * (0.5 + rng.normal(0, 0.006)) for c in left]
    durations = np.diff(starts + [starts[-1] + left[-1].duration])
    return [_Cycle(s, d, c.mode, c.speed, c.accel) for s, d, c in zip(starts, durations, left, strict=True)]


@dataclass
class _LegPlan:
    thigh_t: list = field(default_factory=list)
    thigh_v: list = field(default_factory=list)
    shank_t: list = field(default_factory=list)
    shank_v: list = field(default_factory=list)
    strides: list = field(default_factory=list)  # (cycle, t_to)


def _plan_leg(cycles: list[_Cycle], runner: Runner, rng, scale: float) -> _LegPlan:
    plan = _LegPlan()
    for cycle in cycles:
        if cycle.mode == "stand":
            for knots_t, knots_v in ((plan.thigh_t, plan.thigh_v), (plan.shank_t, plan.shank_v)):
                knots_t.append(cycle.t)
                knots_v.append(rng.normal(0, 0.6))
            continue
        if cycle.mode == "walk":
            thigh, shank = _walk_knots(60 + rng.normal(0, 2))
            duty = 0.62
        else:
            kb, ke = _running_targets(cycle.speed, runner, rng, cycle.t / 3600)
            kb, ke = kb * scale, ke * scale
            thigh, shank = _run_knots(cycle.speed, 0.35, kb, ke)
            contact = runner.lever_factor * _stance_sweep(thigh, shank, runner) / cycle.speed
            duty = min(contact / cycle.duration, 0.45)
            thigh, shank = _run_knots(cycle.speed, duty, kb, ke)
        for phase, value in thigh:
            plan.thigh_t.append(cycle.t + phase * cycle.duration)
            plan.thigh_v.append(value)
        for phase, value in shank:
            plan.shank_t.append(cycle.t + phase * cycle.duration)
            plan.shank_v.append(value)
        plan.strides.append((cycle, cycle.t + duty * cycle.duration))
    return plan


def _spline(times: list, values: list) -> CubicSpline:
    order = np.argsort(times)
    times, values = np.asarray(times)[order], np.asarray(values)[order]
    keep = np.concatenate([[True], np.diff(times) > 1e-3])
    return CubicSpline(times[keep], values[keep], bc_type="natural")


def _grf(t: np.ndarray, legs: list[_LegPlan], cycles: list[_Cycle], impact_g: float) -> np.ndarray:
    """Ground reaction force per unit mass, (N, 2) as (X forward, Z up): the hip's specific force."""
    fx = np.zeros_like(t)
    fz = np.zeros_like(t)
    in_contact = np.zeros(t.shape, dtype=bool)
    for plan in legs:
        for cycle, t_to in plan.strides:
            if cycle.mode != "run":
                continue
            lo, hi = np.searchsorted(t, [cycle.t, t_to])
            s = (t[lo:hi] - cycle.t) / (t_to - cycle.t)
            step, contact = cycle.duration / 2, t_to - cycle.t
            # Impact transient (impulse 0.25·impact_g·G·τ·e), then a half-sine carrying the rest
            # of the body weight over the step: the vertical impulse per step is exactly g·step.
            tau = (t[lo:hi] - cycle.t) / 0.008
            spike = impact_g * 0.25 * G
            carried = G * step - spike * 0.008 * np.e
            fz[lo:hi] += np.pi * carried / (2 * contact) * np.sin(np.pi * s) + spike * tau * np.exp(1 - tau)
            fx[lo:hi] += -0.35 * G * np.sin(2 * np.pi * s) + cycle.accel * step / contact
            in_contact[lo:hi] = True
    # Standing and walking: the body is carried all the time.
    for cycle in cycles:
        if cycle.mode == "run":
            continue
        lo, hi = np.searchsorted(t, [cycle.t, cycle.t + cycle.duration])
        carried = ~in_contact[lo:hi]
        wave = 0.2 * np.sin(4 * np.pi * (t[lo:hi] - cycle.t) / cycle.duration)
        fz[lo:hi][carried] = G * (1 + (wave[carried] if cycle.mode == "walk" else 0))
    return np.column_stack([fx, fz])


def simulate(
    phases: list[Phase],
    *,
    sample_rate: float = 200.0,
    runner: Runner | None = None,
    errors: SensorErrors | None = None,
    seed: int = 0,
) -> Simulation:
    """Simulate one runner wearing the leggings through `phases`."""
    runner = runner or Runner()
    errors = errors or SensorErrors()
    rng = np.random.default_rng(seed)
    total = sum(p.seconds for p in phases)
    t = np.arange(0.0, total, 1.0 / sample_rate)

    left_cycles = _left_cycles(phases, rng)
    left = _plan_leg(left_cycles, runner, rng, 1.0)
    right = _plan_leg(_right_cycles(left_cycles, rng), runner, rng, 1 - runner.asymmetry_pct / 100)
    grf = _grf(t, [left, right], left_cycles, errors.impact_g)

    imu: dict[str, np.ndarray] = {}
    true_angles: dict[str, np.ndarray] = {}
    strides: list[TrueStride] = []
    for side, plan in (("left", left), ("right", right)):
        thigh = _spline(plan.thigh_t, plan.thigh_v)
        shank = _spline(plan.shank_t, plan.shank_v)
        th = _segment_kinematics(thigh, t)
        sh = _segment_kinematics(shank, t)
        true_angles[f"{side}_thigh"], true_angles[f"{side}_shank"] = th[0], sh[0]
        f_thigh = grf + _rigid_terms(th, 0.5 * runner.thigh_m)
        f_shank = grf + _rigid_terms(th, runner.thigh_m) + _rigid_terms(sh, 0.5 * runner.shank_m)
        f_shank = f_shank + _impact_shock(t, plan, errors.impact_g, rng)
        for segment, f, kin in (("thigh", f_thigh, th), ("shank", f_shank, sh)):
            psi = _long_axis_rotation(t, plan, errors.long_axis_rotation_deg, rng)
            imu[f"{side}_{segment}"] = _sensor_readings(kin, psi, f, t, errors, rng, sample_rate)
        strides.extend(_truth(side, plan, thigh, shank))

    keep = _packet_loss_mask(len(t), errors, rng)
    strides.sort(key=lambda s: (s.leg, s.t_start))
    return Simulation(
        t=t[keep],
        imu={s: imu[s][keep] for s in SENSORS},
        strides=strides,
        runner=runner,
        sample_rate=sample_rate,
        true_angles={k: v[keep] for k, v in true_angles.items()},
    )


def _segment_kinematics(spline: CubicSpline, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """θ (deg), θ' (rad/s), θ'' (rad/s²) at t; held still outside the knots."""
    lo, hi = spline.x[0], spline.x[-1]
    inside = (t >= lo) & (t <= hi)
    tc = np.clip(t, lo, hi)
    return (spline(tc), np.where(inside, np.radians(spline(tc, 1)), 0.0),
            np.where(inside, np.radians(spline(tc, 2)), 0.0))


def _rigid_terms(kin: tuple[np.ndarray, ...], distance: float) -> np.ndarray:
    """Acceleration of a point `distance` along a segment, relative to its proximal joint."""
    theta = np.radians(kin[0])
    u = np.column_stack([np.sin(theta), -np.cos(theta)])
    n = np.column_stack([np.cos(theta), np.sin(theta)])
    return distance * (kin[2][:, None] * n - (kin[1] ** 2)[:, None] * u)


def _impact_shock(t, plan: _LegPlan, impact_g: float, rng) -> np.ndarray:
    """Shank vibration after each running contact: a damped 25 Hz oscillation (X, Z), zero-mean."""
    shock = np.zeros((len(t), 2))
    for cycle, _ in plan.strides:
        if cycle.mode != "run":
            continue
        lo, hi = np.searchsorted(t, [cycle.t, cycle.t + 0.08])
        if hi - lo < 2:
            continue
        dt = t[lo:hi] - cycle.t
        amplitude = impact_g * G * rng.uniform(0.5, 1.0)
        wave = amplitude * np.exp(-dt / 0.012) * np.cos(2 * np.pi * 25 * dt)
        wave -= wave.mean()  # soft-tissue wobble: no net velocity change
        shock[lo:hi, 0] += -0.4 * wave
        shock[lo:hi, 1] += wave
    return shock


def _long_axis_rotation(t, plan: _LegPlan, amplitude_deg: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """ψ (rad) and ψ' (rad/s): rotation about the segment's long axis, once per stride."""
    if not plan.strides:
        return np.zeros_like(t), np.zeros_like(t)
    last = plan.strides[-1][0]
    starts = np.array([c.t for c, _ in plan.strides] + [last.t + last.duration])
    phase = np.interp(t, starts, np.arange(len(starts)), left=0, right=len(starts) - 1)
    amp = np.radians(amplitude_deg) * rng.uniform(0.7, 1.0)
    shift = rng.uniform(0, 2 * np.pi)
    psi = amp * np.sin(2 * np.pi * phase + shift)
    return psi, np.gradient(psi, t)


def _sensor_readings(kin, psi, f_world, t, errors: SensorErrors, rng, sample_rate) -> np.ndarray:
    """Accelerometer and gyroscope of a misaligned, noisy, quantised sensor on the segment."""
    theta = np.radians(kin[0])
    zeros = np.zeros_like(theta)
    # Segment frame columns in world (X fwd, Y left, Z up): x along segment, y forward, z right.
    ex = np.stack([np.sin(theta), zeros, -np.cos(theta)], axis=-1)
    ey = np.stack([np.cos(theta), zeros, np.sin(theta)], axis=-1)
    ez = np.stack([zeros, -np.ones_like(theta), zeros], axis=-1)
    c, s = np.cos(psi[0])[:, None], np.sin(psi[0])[:, None]
    frame = np.stack([ex, ey * c + ez * s, -ey * s + ez * c], axis=-1)  # (N, 3 world, 3 body)
    f3 = np.column_stack([f_world[:, 0], zeros, f_world[:, 1]])
    omega_world = kin[1][:, None] * ez + psi[1][:, None] * ex
    accel = np.einsum("nij,ni->nj", frame, f3)
    gyro = np.degrees(np.einsum("nij,ni->nj", frame, omega_world))

    mount = _mounting(t, errors, rng)
    accel = np.einsum("nij,ni->nj", mount, accel)
    gyro = np.einsum("nij,ni->nj", mount, gyro)

    hours = t / 3600
    gyro_bias = rng.uniform(-1, 1, 3) * errors.gyro_bias_dps
    drift = rng.uniform(-1, 1, 3) * errors.gyro_drift_dps_per_hour
    gyro = gyro + gyro_bias + np.outer(hours, drift)
    gyro += rng.normal(0, errors.gyro_noise_dps, gyro.shape)
    accel = accel + rng.uniform(-1, 1, 3) * errors.accel_bias_ms2
    accel += rng.normal(0, errors.accel_noise_ms2, accel.shape)
    accel_range = errors.accel_range_g * G
    return np.column_stack([_quantise(accel, accel_range), _quantise(gyro, GYRO_RANGE_DPS)])


def _mounting(t: np.ndarray, errors: SensorErrors, rng) -> np.ndarray:
    """Per-sample rotation (body → sensor) from a fixed misalignment that creeps slowly."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = np.radians(errors.misalignment_deg) * rng.uniform(0.5, 1.0)
    base = Rotation.from_rotvec(axis * angle)
    shift_axis = rng.normal(size=3)
    shift_axis /= np.linalg.norm(shift_axis)
    ramp = np.radians(errors.mount_shift_deg_per_hour) * t / 3600
    shift = Rotation.from_rotvec(ramp[:, None] * shift_axis)
    # Readings in the sensor frame: v_sensor = R^T v_body.
    return (base * shift).inv().as_matrix().transpose(0, 2, 1)


def _quantise(values: np.ndarray, full_scale: float) -> np.ndarray:
    lsb = full_scale / 32768
    return np.clip(np.round(values / lsb), -32768, 32767) * lsb


def _packet_loss_mask(n: int, errors: SensorErrors, rng) -> np.ndarray:
    """Rows kept after losing whole BLE notifications.

    A notification carries `samples_per_packet` instants; with interleave k, k consecutive
    notifications share k·samples_per_packet instants round-robin, so one lost
    notification leaves single-sample holes instead of one long gap.
    """
    if errors.packet_loss <= 0:
        return np.ones(n, dtype=bool)
    per, k = errors.samples_per_packet, max(errors.packet_interleave, 1)
    frame = per * k
    frames = -(-n // frame)
    lost = rng.random((frames, k)) < errors.packet_loss
    owner = np.arange(frame) % k  # instant j of a frame travels in notification j mod k
    return ~lost[:, owner].reshape(-1)[:n]


def _truth(side: str, plan: _LegPlan, thigh: CubicSpline, shank: CubicSpline) -> list[TrueStride]:
    """Strides of one leg: IC to next IC, peaks measured on a 2 kHz grid of the true angles."""
    out = []
    cycles = [c for c, _ in plan.strides]
    for i, (cycle, t_to) in enumerate(plan.strides[:-1]):
        t_next = plan.strides[i + 1][0].t
        fine = np.arange(t_to, t_next, 0.0005)
        th, sh = thigh(fine), shank(fine)
        previous = cycles[i - 1] if i else None
        contiguous = previous is not None and abs(previous.t + previous.duration - cycle.t) < 1e-6
        steady = contiguous and i + 3 < len(cycles) and all(c.mode == "run" for c in cycles[i - 1: i + 3])
        out.append(
            TrueStride(
                leg=side, t_start=cycle.t, t_toe_off=t_to, t_end=t_next,
                kickback_deg=float(np.max(th - sh)),
                shank_back_deg=float(-np.min(sh)),
                knee_elevation_deg=float(np.max(th)),
                speed_mps=cycle.speed, running=cycle.mode == "run" and steady,
            )
        )
    return out


def standard_session(
    speed: float = 3.5, run_seconds: float = 120.0, *, with_walks: bool = True
) -> list[Phase]:
    """Stand, walk in, run (with a surge to 1.3× speed, at most 9.5 m/s), walk out, stand."""
    phases = [Phase("stand", 4.0)]
    if with_walks:
        phases.append(Phase("walk", 8.0, 1.4))
    third = run_seconds / 3
    surge = min(1.3 * speed, max(speed, 9.5))
    phases += [
        Phase("run", third, speed),
        Phase("run", third / 2, speed, surge),
        Phase("run", third / 2, surge, speed),
        Phase("run", third, speed),
    ]
    if with_walks:
        phases.append(Phase("walk", 8.0, 1.4))
    phases.append(Phase("stand", 4.0))
    return phases
