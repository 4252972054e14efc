"""Per-runner calibration of the speed model from one run of known distance.

The engine estimates speed from the leg's geometry: during stance the foot is
planted, so the hip travels the ankle's sweep relative to it,
x = L_t·sin θ_thigh + L_s·sin θ_shank, from IC to toe-off; speed = factor · sweep /
contact time. The foot rolling and the pelvis turning add to the sweep, so the
factor is about 1.3 and differs between runners: one run of known distance fixes it.
"""

from __future__ import annotations

from metrics.core.engine import Stride


def calibrated_speed_factor(strides: list[Stride], distance_m: float, current_factor: float) -> float:
    """The factor that makes one leg's strides add up to `distance_m` (each covers speed × time)."""
    if distance_m <= 0:
        raise ValueError("the known distance must be positive")
    legs = {}
    for stride in strides:
        legs.setdefault(stride.leg, 0.0)
        legs[stride.leg] += stride.speed_mps * (stride.t_end - stride.t_start)
    if not legs or max(legs.values()) <= 0:
        raise ValueError("no running strides to calibrate from")
    estimated = sum(legs.values()) / len(legs)
    return current_factor * distance_m / estimated
