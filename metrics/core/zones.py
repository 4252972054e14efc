"""Pace bands and target zones (SPEC §5): each stride is below, in or above its band's zone.

Default zones rise and widen with speed. Kickback (peak swing knee flexion) from
Fukuchi et al. 2017 ("A public dataset of running biomechanics", PeerJ): 84–108°
at 2.5 m/s, 100–120° at 3.5 m/s, 115–130° at 4.5 m/s, extended to sprinting
(≈ 130–150°; Mann & Hagy 1980 report swing knee flexion above 130° in sprinting).
Knee elevation (peak thigh angle to vertical): ≈ 30° jogging rising to 60–70° in
sprinting (Novacheck 1998; Mann & Hagy 1980). Coaches override any band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

PACE_BANDS = ("easy", "steady", "tempo", "fast", "sprint")
# Upper speed (m/s) of each band: easy is slower than 5:33 min/km, sprint faster than 3:02.
BAND_UPPER_MPS = {"easy": 3.0, "steady": 3.6, "tempo": 4.3, "fast": 5.5, "sprint": math.inf}
METRICS = ("kickback", "knee_elevation")

DEFAULT_ZONES: dict[str, dict[str, tuple[float, float]]] = {
    "easy": {"kickback": (85.0, 110.0), "knee_elevation": (25.0, 40.0)},
    "steady": {"kickback": (95.0, 118.0), "knee_elevation": (30.0, 45.0)},
    "tempo": {"kickback": (105.0, 125.0), "knee_elevation": (35.0, 50.0)},
    "fast": {"kickback": (115.0, 135.0), "knee_elevation": (40.0, 58.0)},
    "sprint": {"kickback": (125.0, 150.0), "knee_elevation": (50.0, 72.0)},
}


def pace_band(speed_mps: float) -> str:
    return str(pace_bands(np.array([speed_mps]))[0])


def pace_bands(speed_mps: np.ndarray) -> np.ndarray:
    """The pace band of each speed: the first whose upper bound it is under (NaN: sprint)."""
    uppers = np.array([BAND_UPPER_MPS[band] for band in PACE_BANDS])
    index = np.searchsorted(uppers, speed_mps, side="right")
    return np.array(PACE_BANDS)[np.minimum(index, len(PACE_BANDS) - 1)]


@dataclass(frozen=True)
class ZoneTable:
    """A runner's zones: the defaults with any per-band overrides."""

    overrides: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)

    def band(self, band: str) -> dict[str, tuple[float, float]]:
        return {**DEFAULT_ZONES[band], **self.overrides.get(band, {})}

    def as_json(self) -> dict[str, dict[str, list[float]]]:
        """Every band's zones as {band: {metric: [low, high]}} (live board, session charts)."""
        return {band: {metric: list(bounds) for metric, bounds in self.band(band).items()}
                for band in PACE_BANDS}

    def label(self, band: str, kickback_deg: float, knee_elevation_deg: float) -> dict[str, str]:
        kickback, knee = self.labels(np.array([band]), np.array([kickback_deg]),
                                     np.array([knee_elevation_deg]))
        return {"kickback": str(kickback[0]), "knee_elevation": str(knee[0])}

    def labels(self, bands: np.ndarray, kickback_deg: np.ndarray,
               knee_elevation_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Below / in / above each stride's band zone: (kickback labels, knee elevation labels)."""
        names = bands.tolist()
        zones = {name: self.band(name) for name in set(names)}
        out = []
        for metric, values in (("kickback", kickback_deg), ("knee_elevation", knee_elevation_deg)):
            bounds = np.array([zones[name][metric] for name in names]).reshape(-1, 2)
            above = np.where(values > bounds[:, 1], "above", "in")
            out.append(np.where(values < bounds[:, 0], "below", above))
        return out[0], out[1]


def validate_zone(metric: str, low: float, high: float) -> None:
    """Raise ValueError unless low < high and both lie in the metric's physical range."""
    limits = {"kickback": (30.0, 175.0), "knee_elevation": (0.0, 110.0)}[metric]
    if not (limits[0] <= low < high <= limits[1]):
        raise ValueError(
            f"{metric}: need {limits[0]:g} ≤ low < high ≤ {limits[1]:g} degrees, got {low:g}–{high:g}"
        )
