"""Session summary of a list of strides: per leg medians, share in zone, symmetry."""

from __future__ import annotations

from collections import Counter
from statistics import median

from metrics.core.engine import Stride

LEG_FIELDS = ("kickback_deg", "knee_elevation_deg", "heel_rise_cm", "knee_rise_cm",
              "cadence_spm", "contact_ms", "speed_mps")


def summarize(strides: list[Stride], skipped: Counter | None = None) -> dict:
    """Medians, zone shares and symmetry of the good strides; low-quality ones are counted apart."""
    summary: dict = {"strides": len(strides), "low_quality": sum(s.low_quality for s in strides), "legs": {}}
    strides = [s for s in strides if not s.low_quality]
    for leg in ("left", "right"):
        mine = [s for s in strides if s.leg == leg]
        if not mine:
            summary["legs"][leg] = {"strides": 0}
            continue
        entry: dict = {"strides": len(mine)}
        for name in LEG_FIELDS:
            entry[f"median_{name}"] = round(median(getattr(s, name) for s in mine), 2)
        for metric in ("kickback", "knee_elevation"):
            labels = Counter(s.zone[metric] for s in mine)
            entry[f"{metric}_zone_pct"] = {
                label: round(100 * labels[label] / len(mine), 1) for label in ("below", "in", "above")
            }
        summary["legs"][leg] = entry
    for metric in ("kickback", "knee_elevation"):
        values = [s.symmetry_pct[metric] for s in strides if s.symmetry_pct.get(metric) is not None]
        summary[f"symmetry_{metric}_pct"] = round(median(values), 2) if values else None
    if strides:
        summary["duration_s"] = round(max(s.t_end for s in strides) - min(s.t_start for s in strides), 2)
        summary["pace_bands"] = dict(Counter(s.pace_band for s in strides))
    summary["skipped"] = {reason: count for reason, count in (skipped or {}).items() if count}
    return summary
