"""The Django shell of the engine: zone overrides (newest wins, validated) and stored strides."""

import pytest
from django.core.exceptions import ValidationError

from metrics.core import analyze
from metrics.models import StrideRecord, ZoneOverride, zone_table_for
from metrics.simulator import Phase, simulate
from tests.factories import make_runner, make_session
from tests.metrics.helpers import body_of, recording_of


@pytest.mark.django_db
def test_newest_override_wins_and_history_is_kept():
    runner = make_runner()
    ZoneOverride.objects.create(runner=runner, band="easy", metric="kickback", low=90, high=100)
    ZoneOverride.objects.create(runner=runner, band="easy", metric="kickback", low=95, high=105)
    table = zone_table_for(runner)
    assert table.band("easy")["kickback"] == (95, 105)
    assert table.band("easy")["knee_elevation"] == (25.0, 40.0)
    assert runner.zone_overrides.count() == 2


@pytest.mark.django_db
def test_inverted_zone_is_invalid():
    override = ZoneOverride(runner=make_runner(), band="fast", metric="kickback", low=130, high=120)
    with pytest.raises(ValidationError):
        override.full_clean()


@pytest.mark.django_db
def test_strides_are_stored_with_their_zones():
    runner = make_runner()
    session = make_session(runner)
    sim = simulate([Phase("stand", 3.0), Phase("run", 15.0, 3.5)], sample_rate=100, seed=2)
    strides, _ = analyze(recording_of(sim), body_of(sim), zones=zone_table_for(runner))
    StrideRecord.store(session, strides)
    assert session.strides.count() == len(strides) > 15
    first = session.strides.first()
    assert first.kickback_zone in {"below", "in", "above"}


@pytest.mark.django_db
def test_stored_strides_read_back_as_the_engine_gave_them():
    """Every column, the JSON ones (trace, quality) too, comes back equal from the database."""
    session = make_session(make_runner())
    sim = simulate([Phase("stand", 3.0), Phase("run", 10.0, 3.8)], sample_rate=200, seed=4)
    strides, _ = analyze(recording_of(sim), body_of(sim))
    StrideRecord.store(session, strides)
    stored = {(row.leg, row.t_start): row for row in session.strides.all()}
    assert len(stored) == len(strides) > 10
    for stride in strides:
        row = stored[(stride.leg, stride.t_start)]
        assert (row.trace, row.quality, row.low_quality) == (stride.trace, stride.quality, stride.low_quality)
        assert (row.kickback_deg, row.kickback_symmetry_pct) == (stride.kickback_deg,
                                                                 stride.symmetry_pct["kickback"])
