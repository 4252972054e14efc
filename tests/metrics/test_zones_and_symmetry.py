"""Zones rise with pace; labels below/in/above; overrides; symmetry catches a weaker leg."""

import numpy as np
import pytest

from metrics.core import DEFAULT_ZONES, PACE_BANDS, ZoneTable, analyze, pace_band
from metrics.core.zones import validate_zone
from metrics.simulator import Phase, Runner, simulate
from tests.metrics.helpers import body_of, recording_of


def test_default_zones_rise_with_pace():
    lows = [DEFAULT_ZONES[b]["kickback"][0] for b in PACE_BANDS]
    knees = [DEFAULT_ZONES[b]["knee_elevation"][0] for b in PACE_BANDS]
    assert lows == sorted(lows) and knees == sorted(knees)


@pytest.mark.parametrize("speed,band", [(2.5, "easy"), (3.3, "steady"), (4.0, "tempo"), (5.0, "fast"),
                                        (7.5, "sprint")])
def test_pace_bands(speed, band):
    assert pace_band(speed) == band


def test_labels_and_overrides():
    table = ZoneTable({"easy": {"kickback": (100.0, 105.0)}})
    assert table.label("easy", 99, 30) == {"kickback": "below", "knee_elevation": "in"}
    assert table.label("easy", 106, 41) == {"kickback": "above", "knee_elevation": "above"}
    assert table.label("steady", 99, 30)["kickback"] == "in"


@pytest.mark.parametrize("metric,low,high", [("kickback", 120, 110), ("kickback", 10, 90),
                                             ("knee_elevation", 30, 130)])
def test_invalid_zones_are_refused(metric, low, high):
    with pytest.raises(ValueError, match=metric):
        validate_zone(metric, low, high)


def test_symmetry_shows_the_weaker_right_leg():
    sim = simulate([Phase("stand", 3.0), Phase("run", 40.0, 3.5)], sample_rate=200, seed=5,
                   runner=Runner(asymmetry_pct=6.0))
    strides, _ = analyze(recording_of(sim), body_of(sim))
    values = [s.symmetry_pct["kickback"] for s in strides if s.symmetry_pct["kickback"] is not None]
    assert len(values) > 50
    assert 3.0 < np.median(values) < 9.0
    left = np.median([s.kickback_deg for s in strides if s.leg == "left"])
    right = np.median([s.kickback_deg for s in strides if s.leg == "right"])
    assert right < left


def test_speed_calibration_from_a_known_distance():
    from metrics.core.speed import calibrated_speed_factor
    from metrics.core.strides import Body

    sim = simulate([Phase("stand", 3.0), Phase("run", 60.0, 4.0)], sample_rate=200, seed=6,
                   runner=Runner(lever_factor=1.45))
    body = body_of(sim)
    strides, _ = analyze(recording_of(sim), body)
    steady = [s for s in strides if 10 < s.t_start < 58]
    distance = sum(4.0 * (s.t_end - s.t_start) for s in steady if s.leg == "left")
    factor = calibrated_speed_factor(steady, distance, body.speed_factor)
    recalibrated, _ = analyze(recording_of(sim), Body(body.thigh_m, body.shank_m, factor))
    before = np.median([s.speed_mps for s in steady])
    after = np.median([s.speed_mps for s in recalibrated if 10 < s.t_start < 58])
    assert abs(after - 4.0) < 0.1 < abs(before - 4.0)
