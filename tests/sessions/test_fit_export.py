"""FIT export: a session read back by fitdecode, an independent reader, gives every stride's
values (per leg, as named developer fields with units), the lap and session summaries, and only
those who may see the session get it."""

import io

import fitdecode
import pytest
from django.urls import reverse

from metrics.models import StrideRecord
from tests.factories import make_uploaded_session


def _frames(data: bytes) -> list:
    with fitdecode.FitReader(io.BytesIO(data)) as reader:
        return [frame for frame in reader if isinstance(frame, fitdecode.FitDataMessage)]


@pytest.fixture
def session(world):
    return make_uploaded_session(world.alice)


def test_every_stride_comes_back_from_an_independent_reader(world, login, session):
    response = login(world.alice.user).get(reverse("export_fit", args=[session.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/vnd.ant.fit"
    frames = _frames(response.content)  # fitdecode checks the header and the CRC
    records = [f for f in frames if f.name == "record"]
    strides = list(StrideRecord.objects.filter(session=session).order_by("t_start", "leg"))
    assert len(records) == len(strides) > 20
    for record, stride in zip(records, strides, strict=True):
        values = {f.name: f.value for f in record.fields if f.value is not None}
        units = {f.name: f.units for f in record.fields}
        leg = stride.leg
        assert values[f"kickback_{leg}"] == pytest.approx(stride.kickback_deg, abs=1e-4)
        assert values[f"knee_elevation_{leg}"] == pytest.approx(stride.knee_elevation_deg, abs=1e-4)
        assert units[f"kickback_{leg}"] == "deg"
        assert values[f"kickback_zone_{leg}"] == {"below": 0, "in": 1, "above": 2}[stride.kickback_zone]
        assert values[f"low_quality_{leg}"] == int(stride.low_quality)
        uncertainty = stride.quality["kickback_uncertainty_deg"]
        assert values[f"kickback_uncertainty_{leg}"] == pytest.approx(uncertainty)
        other = "right" if leg == "left" else "left"
        assert f"kickback_{other}" not in values
        strides_a_minute = values["cadence"] + values["fractional_cadence"]  # FIT: one leg's strides
        assert strides_a_minute == pytest.approx(stride.cadence_spm / 2, abs=0.01)
        assert values["speed"] == pytest.approx(stride.speed_mps, abs=0.001)
    distances = [next(f.value for f in r.fields if f.name == "distance") for r in records]
    assert distances == sorted(distances) and distances[-1] > 50
    summary = next(f for f in frames if f.name == "session")
    values = {f.name: f.value for f in summary.fields}
    assert values["sport"] == "running" and values["num_laps"] == 1
    assert values["total_distance"] == pytest.approx(distances[-1], abs=0.01)
    assert [f.name for f in frames].count("lap") == 1 and [f.name for f in frames].count("activity") == 1


def test_only_who_may_see_the_session_gets_its_fit_file(world, login, client, session):
    url = reverse("export_fit", args=[session.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert login(world.arno.user).get(url).status_code == 404  # another runner of the squad
    assert login(world.coach_b).get(url).status_code == 404  # a coach not of her squads
    assert login(world.coach_a).get(url).status_code == 200  # her coach
