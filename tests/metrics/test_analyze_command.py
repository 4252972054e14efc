"""`python manage.py analyze FILE.csv --json` honours SPEC §6."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from metrics.core import Recording, write_csv
from metrics.simulator import SENSORS, Phase, SensorErrors, simulate, standard_session

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"leg", "t_start", "t_end", "t_toe_off", "kickback_deg", "shank_back_deg", "heel_rise_cm",
          "knee_elevation_deg", "knee_rise_cm", "cadence_spm", "contact_ms", "speed_mps", "zone"}


def _analyze(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "analyze", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    sim = simulate(standard_session(3.8, 30), sample_rate=200, seed=21, errors=SensorErrors(packet_loss=0.02))
    path = tmp_path_factory.mktemp("rec") / "run.csv"
    with open(path, "w") as handle:
        write_csv(Recording(sim.t, np.column_stack([sim.imu[s] for s in SENSORS])), handle)
    return sim, path


def test_json_output_has_every_field_sorted_by_leg_then_time(recorded):
    sim, path = recorded
    result = _analyze(str(path), "--json", "--height-cm", "175")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    strides = out["strides"]
    assert len(strides) > 60
    assert set(strides[0]) >= FIELDS
    assert strides == sorted(strides, key=lambda s: (s["leg"], s["t_start"]))
    assert set(strides[0]["zone"]) == {"kickback", "knee_elevation"}
    assert isinstance(strides[0]["contact_ms"], int)
    true_starts = np.array([t.t_start for t in sim.strides if t.leg == "left"])
    first_left = next(s for s in strides if s["leg"] == "left")
    assert np.min(np.abs(true_starts - first_left["t_start"])) < 0.05
    assert out["summary"]["legs"]["left"]["strides"] > 30


def test_segment_lengths_change_heel_rise(recorded):
    _, path = recorded
    short = json.loads(_analyze(str(path), "--json", "--height-cm", "160").stdout)
    tall = json.loads(_analyze(str(path), "--json", "--thigh-cm", "50", "--shank-cm", "50").stdout)
    assert tall["strides"][0]["heel_rise_cm"] > short["strides"][0]["heel_rise_cm"]
    # Angles barely depend on lengths (only through the sensors' lever arms).
    assert abs(tall["strides"][0]["kickback_deg"] - short["strides"][0]["kickback_deg"]) < 2


def test_human_readable_output_has_a_table_per_leg(recorded):
    _, path = recorded
    result = _analyze(str(path))
    assert result.returncode == 0
    assert "LEFT leg:" in result.stdout and "RIGHT leg:" in result.stdout and "Summary" in result.stdout


@pytest.mark.parametrize(
    "content,message",
    [("t,foo\n1,2\n", "missing columns"), ("", "empty file")],
)
def test_bad_files_exit_non_zero_with_one_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = _analyze(str(path), "--json")
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_a_missing_file_is_a_clear_error():
    result = _analyze("/nonexistent/run.csv", "--json")
    assert result.returncode != 0 and "no such file" in result.stderr


def test_standing_only_gives_no_strides(tmp_path):
    sim = simulate([Phase("stand", 10.0)], sample_rate=100)
    path = tmp_path / "stand.csv"
    with open(path, "w") as handle:
        write_csv(Recording(sim.t, np.column_stack([sim.imu[s] for s in SENSORS])), handle)
    out = json.loads(_analyze(str(path), "--json").stdout)
    assert out["strides"] == []
