"""History: uploads (errors named by line), session summaries and charts, exports that
round-trip through `analyze`, zone editing with history — and every denial."""

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics.core import Recording, analyze, read_csv
from metrics.models import ZoneOverride, body_of
from metrics.simulator import SENSORS, Phase, simulate
from sessions.models import RawChunk, RunSession
from sessions.services import session_from_recording
from tests.factories import recording_csv


def test_a_runner_uploads_a_recording_and_sees_its_strides(world, login):
    client = login(world.alice.user)
    response = client.post(reverse("session_upload"),
                           {"file": SimpleUploadedFile("run.csv", recording_csv().encode()),
                            "notes": "intervals"})
    session = RunSession.objects.get(source="upload")
    assert response.status_code == 302 and response.url == reverse("session_detail", args=[session.pk])
    assert session.strides.count() > 40 and session.chunks.exists() and session.notes == "intervals"
    page = client.get(reverse("runner_home")).text
    assert reverse("session_detail", args=[session.pk]) in page and "% /" in page


def test_a_malformed_upload_names_the_line_and_stores_nothing(world, login):
    lines = recording_csv().splitlines()
    lines[7] = lines[7].replace(",", ",x", 1)
    bad = SimpleUploadedFile("bad.csv", "\n".join(lines).encode())
    response = login(world.alice.user).post(reverse("session_upload"), {"file": bad})
    assert response.status_code == 400 and "line 8" in response.text
    assert not RunSession.objects.filter(source="upload").exists() and not RawChunk.objects.exists()


def test_raw_export_round_trips_through_analyze(world, login, uploaded):
    response = login(world.alice.user).get(reverse("export_raw", args=[uploaded.pk]))
    text = b"".join(response.streaming_content).decode()
    again, _ = analyze(read_csv(io.StringIO(text)), body_of(world.alice))
    stored = list(uploaded.strides.order_by("leg", "t_start").values_list("leg", "t_start", "kickback_deg"))
    assert [(s.leg, s.t_start, s.kickback_deg) for s in again] == stored


def test_strides_export_and_chart_data(world, login, uploaded):
    client = login(world.coach_a)
    csv_text = client.get(reverse("export_strides", args=[uploaded.pk])).content.decode()
    assert csv_text.startswith("leg,t_start") and csv_text.count("\n") == uploaded.strides.count() + 1
    data = client.get(reverse("session_charts", args=[uploaded.pk])).json()
    assert len(data["series"]["left"]["kickback"]) > 20 and "sprint" in data["zones"]
    stride = uploaded.strides.first()
    trace = client.get(reverse("stride_trace", args=[uploaded.pk, stride.pk])).json()
    assert len(trace["trace"]["thigh"]) > 10


@pytest.mark.parametrize("name", ["session_detail", "session_charts", "export_strides", "export_raw"])
def test_other_runners_and_coaches_get_404(world, login, uploaded, name):
    url = reverse(name, args=[uploaded.pk])
    assert login(world.arno.user).get(url).status_code == 404
    assert login(world.coach_b).get(url).status_code == 404


def test_only_the_runner_edits_notes(world, login, uploaded):
    url = reverse("session_notes", args=[uploaded.pk])
    assert login(world.coach_a).post(url, {"notes": "hacked"}).status_code == 404
    login(world.alice.user).post(url, {"notes": "felt good"})
    uploaded.refresh_from_db()
    assert uploaded.notes == "felt good"


def test_deleting_a_session_removes_raw_data_and_strides(world, login, uploaded):
    login(world.alice.user).post(reverse("session_delete", args=[uploaded.pk]))
    assert not RawChunk.objects.filter(session_id=uploaded.pk).exists()
    assert not RunSession.objects.filter(pk=uploaded.pk).exists()


def test_a_coach_edits_zones_with_history(world, login):
    client = login(world.coach_a)
    url = reverse("runner_zones", args=[world.alice.pk])
    client.post(url, {"band": "tempo", "metric": "kickback", "low": 110, "high": 128})
    client.post(url, {"band": "tempo", "metric": "kickback", "low": 112, "high": 130})
    assert ZoneOverride.objects.filter(runner=world.alice).count() == 2
    page = client.get(url).text
    assert "112–130°" in page


def test_invalid_zones_are_refused(world, login):
    response = login(world.coach_a).post(reverse("runner_zones", args=[world.alice.pk]),
                                         {"band": "tempo", "metric": "kickback", "low": 130, "high": 110})
    assert response.status_code == 400 and not ZoneOverride.objects.exists()


def test_runners_and_other_coaches_cannot_edit_zones(world, login):
    url = reverse("runner_zones", args=[world.alice.pk])
    data = {"band": "easy", "metric": "kickback", "low": 90, "high": 100}
    assert login(world.alice.user).post(url, data).status_code == 403
    assert login(world.coach_b).post(url, data).status_code == 404
    assert not ZoneOverride.objects.exists()


def test_trends_overview_and_compare(world, login, uploaded):
    client = login(world.coach_a)
    trends = client.get(reverse("runner_trends", args=[world.alice.pk])).text
    assert 'id="trend-data"' in trends and "js/trends.js" in trends
    overview = client.get(reverse("squad_overview", args=[world.squad_a.pk])).text
    assert "Alice" in overview and reverse("session_detail", args=[uploaded.pk]) in overview
    compare = client.get(reverse("squad_compare", args=[world.squad_a.pk]),
                         {"runner": [world.alice.pk, world.arno.pk]}).text
    assert "Alice" in compare and reverse("session_detail", args=[uploaded.pk]) in compare


def test_trends_and_squad_pages_are_denied_to_outsiders(world, login, uploaded):
    assert login(world.arno.user).get(reverse("runner_trends", args=[world.alice.pk])).status_code == 404
    client = login(world.coach_b)
    assert client.get(reverse("squad_overview", args=[world.squad_a.pk])).status_code == 404
    assert client.get(reverse("squad_compare", args=[world.squad_a.pk])).status_code == 404
    own = client.get(reverse("squad_compare", args=[world.squad_b.pk]), {"runner": [world.alice.pk]}).text
    assert reverse("session_detail", args=[uploaded.pk]) not in own  # not a member: silently ignored


def test_lost_stretches_are_marked_stored_exported_and_left_out_of_summaries(world, login):
    """An upload from gear that loses 160 ms at a time: every stride keeps its quality mark from
    the engine to the database, the CSV export, the charts, the live event and the summary."""
    from metrics.simulator import SensorErrors
    from sessions.broadcast import stride_event
    from sessions.summary import chart_data, summarize

    sim = simulate([Phase("stand", 3.0), Phase("run", 60.0, 3.6)], sample_rate=100, seed=5,
                   errors=SensorErrors(packet_loss=0.06, samples_per_packet=16, packet_interleave=1))
    recording = Recording(sim.t, np.column_stack([sim.imu[s] for s in SENSORS]))
    session = session_from_recording(world.alice, recording)
    low = session.strides.filter(low_quality=True)
    assert low.exists() and session.strides.filter(low_quality=False).count() > 40
    assert all(s.quality["low"] for s in low) and any(s.quality["longest_gap_ms"] > 0 for s in low)
    summary = summarize(session)
    assert summary["low_quality"] == low.count()
    assert summary["strides"] == session.strides.count() - low.count()
    client = login(world.alice.user)
    rows = client.get(reverse("export_strides", args=[session.pk])).content.decode().splitlines()
    header = rows[0].split(",")
    assert header[-6:] == ["missing_pct", "longest_gap_ms", "gap_at_peak", "kickback_uncertainty_deg",
                           "knee_elevation_uncertainty_deg", "low_quality"]
    assert sum(row.endswith(",True") for row in rows[1:]) == low.count()
    series = chart_data(session)["series"]
    assert sum(series["left"]["low"]) + sum(series["right"]["low"]) == low.count()
    assert stride_event(low.first(), session.pk)["quality"]["low"] is True
    page = client.get(reverse("session_detail", args=[session.pk])).text
    assert f"+ {low.count()} low-quality" in page


def _upload_rows(rows: list[str]) -> bytes:
    return ("t," + ",".join(f"{s}_{a}" for s in SENSORS for a in ("ax", "ay", "az", "gx", "gy", "gz"))
            + "\n" + "\n".join(rows) + "\n").encode()


def _good_rows(n: int = 400, start: float = 0.0) -> list[str]:
    return [f"{start + i / 200:.4f}," + ",".join(["-9.81", "0", "0", "0", "0", "0"] * 4) for i in range(n)]


@pytest.mark.parametrize("rows,line,says", [
    (_good_rows()[:5] + [f"{0.025 + i / 200}," + ",".join(["nan"] * 24) for i in range(395)], 7,
     "all 24"),  # all-NaN IMU columns
    ([f"1.0,{','.join(['0'] * 24)}"] * 400, 3, "not after"),  # constant t
    (_good_rows()[:200] + _good_rows(200, start=0.5)[::-1], 203, "not after"),  # decreasing t
    ([f"{i * 10.0},{','.join(['0'] * 24)}" for i in range(400)], 2, "sample rate"),  # 0.1 Hz
    (_good_rows(300) + [f"-1e300,{','.join(['0'] * 24)}"] + _good_rows(99, start=2.0), 302, "not after"),
    (_good_rows(300) + [f"1e308,{','.join(['0'] * 24)}"] + _good_rows(99, start=2.0), 302, "24 h"),
    (_good_rows(300) + _good_rows(100, start=1_000_005.0), 302, "24 h"),  # a jump of 10⁶ s
    (_good_rows(300) + ['1.5,"unclosed'] + _good_rows(99, start=2.0), 302, ""),  # an unclosed quote
])
def test_a_bad_upload_gets_a_form_error_naming_the_line_and_stores_nothing(world, login, rows, line, says):
    response = login(world.alice.user).post(
        reverse("session_upload"), {"file": SimpleUploadedFile("bad.csv", _upload_rows(rows))})
    assert response.status_code == 400
    assert f"line {line}" in response.text and says in response.text
    assert not RunSession.objects.exists() or not RunSession.objects.filter(source="upload").exists()
    assert not RawChunk.objects.filter(session__source="upload").exists()


def test_a_long_pause_inside_a_file_is_stored_exactly(world, login):
    """A jump of 1,000 s is 200,000 sample steps at 200 Hz: more than a 16-bit offset holds."""
    rows = _good_rows(300) + _good_rows(500, start=1002.0)  # the pause falls inside a stored chunk
    client = login(world.alice.user)
    upload = SimpleUploadedFile("pause.csv", _upload_rows(rows))
    response = client.post(reverse("session_upload"), {"file": upload})
    assert response.status_code == 302
    session = RunSession.objects.get(source="upload")
    text = b"".join(client.get(reverse("export_raw", args=[session.pk])).streaming_content).decode()
    times = [float(line.split(",")[0]) for line in text.splitlines()[1:]]
    assert len(times) == 800
    assert times[299] == pytest.approx(1.495) and times[300] == pytest.approx(1002.0)
    assert times == sorted(times)


def test_the_overview_shows_a_zero_and_sorts_symmetry_by_its_size(world, login, uploaded):
    uploaded.strides.update(kickback_zone="above", kickback_symmetry_pct=-7.5)
    page = login(world.coach_a).get(reverse("squad_overview", args=[world.squad_a.pk])).text
    alice = page.split("Alice</a>")[1].split("</tr>")[0]
    cells = [cell.split(">", 1)[1].split("</td>")[0] for cell in alice.split("<td")[1:]]
    assert cells[3] == "0"  # no stride in the kickback zone: 0 %, not an empty cell
    assert 'data-value="7.5"' in alice and "-7.5 ⚠" in alice  # sorted by size, shown with its sign


def test_the_zone_form_starts_from_the_zone_as_it_stands(world, login):
    client = login(world.coach_a)
    url = reverse("runner_zones", args=[world.alice.pk])
    client.post(url, {"band": "tempo", "metric": "knee_elevation", "low": 31, "high": 47})
    form = client.get(url, {"band": "tempo", "metric": "knee_elevation"}).context["form"]
    assert form.initial == {"band": "tempo", "metric": "knee_elevation", "low": 31, "high": 47}
    default = client.get(url, {"band": "nonsense"}).context["form"].initial
    assert (default["band"], default["metric"]) == ("steady", "kickback") and default["low"] < default["high"]
