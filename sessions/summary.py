"""Per-session summaries and chart data, read from stored strides (never raw samples)."""

from __future__ import annotations

from statistics import median

from metrics.core import pace_band
from metrics.models import zone_table_for
from sessions.models import RunSession

MAX_POINTS_PER_LEG = 2500  # a 2-hour session has ~10,000 strides per leg: decimate for the chart


def summarize(session: RunSession) -> dict:
    """Medians and zone shares of the session's good strides; `low_quality` counts those left out."""
    strides = session.strides.all()
    rows = list(strides.filter(low_quality=False).values_list(
        "leg", "kickback_deg", "knee_elevation_deg", "kickback_zone", "knee_elevation_zone",
        "kickback_symmetry_pct", "speed_mps"))
    out = {"strides": len(rows), "low_quality": strides.filter(low_quality=True).count()}
    if not rows:
        return out
    out["kickback"] = round(median(r[1] for r in rows), 1)
    out["knee_elevation"] = round(median(r[2] for r in rows), 1)
    out["kickback_in_pct"] = round(100 * sum(r[3] == "in" for r in rows) / len(rows))
    out["knee_in_pct"] = round(100 * sum(r[4] == "in" for r in rows) / len(rows))
    symmetry = [r[5] for r in rows if r[5] is not None]
    out["symmetry"] = round(median(symmetry), 1) if symmetry else None
    out["speed"] = round(median(r[6] for r in rows), 2)
    out["band"] = pace_band(out["speed"])  # the session's pace, as the coach names it
    for leg in ("left", "right"):
        mine = [r for r in rows if r[0] == leg]
        if mine:
            out[leg] = {"strides": len(mine), "kickback": round(median(r[1] for r in mine), 1),
                        "knee_elevation": round(median(r[2] for r in mine), 1)}
    return out


def chart_data(session: RunSession) -> dict:
    """Per-stride series (decimated past MAX_POINTS_PER_LEG), distributions per band, zones."""
    series = {}
    for leg in ("left", "right"):
        rows = list(session.strides.filter(leg=leg).order_by("t_start").values_list(
            "id", "t_end", "kickback_deg", "knee_elevation_deg", "pace_band", "low_quality"))
        step = max(1, -(-len(rows) // MAX_POINTS_PER_LEG))
        rows = rows[::step]
        series[leg] = {"id": [r[0] for r in rows], "t": [round(r[1], 2) for r in rows],
                       "kickback": [round(r[2], 1) for r in rows], "knee": [round(r[3], 1) for r in rows],
                       "band": [r[4] for r in rows], "low": [r[5] for r in rows]}
    return {"series": series, "zones": zone_table_for(session.runner).as_json()}


def session_medians(runner, limit: int = 200) -> list[dict]:
    """Per session (newest first): date, median speed, kickback, knee elevation, share in zone."""
    sessions = RunSession.objects.filter(runner=runner).order_by("-started_at")[:limit]
    out = []
    for session in sessions:
        summary = summarize(session)
        if summary["strides"]:
            out.append({"id": session.pk, "date": session.started_at.date().isoformat(),
                        "source": session.get_source_display(), **summary})
    return out
