"""The engine on real legs: measured running kinematics through a forward IMU model, and a
measured IMU recording with motion capture. Prints the accuracy and sensitivity tables of
docs/metrics.md ("Real legs").

    pip install -e '.[bench]'          # mat-io reads the MATLAB tables
    python bench/real_kinematics.py --biomac PATH

PATH is a clone (or bare git directory) of the public BioMAC-Sim-Toolbox repository of
mad-lab-fau (Apache-2.0), whose data/ holds the recordings; without --biomac the bench
clones it into ~/.cache/stridesite/. Nothing of it is committed here.

Data used (each one mean gait cycle):
- data/IntroductionExamples/running_3D.mat: overground running at 4.0 m/s, full 3-D
  (pelvis tilt/list/rotation and path, hip flexion/adduction/rotation, knees), 0.771 s.
- data/IntroductionExamples/RBDS00{1,2,3}runT35.mat: three runners of Fukuchi et al. 2017
  on a treadmill at 3.5 m/s, sagittal hips and knees and ground reaction forces over one
  step of a symmetric stride (the pelvis path comes from the forces; the stride time, absent
  from the files, is taken as 0.72 s and the pelvis tilt as 0°: both enter model and truth
  alike).
- data/IMU2D/P01_normrunning.mat: measured thigh and shank IMUs with optical motion
  capture (knee angle) at 3.47 m/s on a treadmill, 0.734 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from metrics.core import Body, Recording, analyze  # noqa: E402
from metrics.imu_model import (  # noqa: E402
    STAND_S,
    Body3D,
    GaitCycle,
    Placement,
    SoftTissue,
    Wearing,
    bars,
    leggings_run,
    resample_cycle,
    true_angles,
)

REPOSITORY = "https://github.com/mad-lab-fau/BioMAC-Sim-Toolbox"
FILES = ["data/IntroductionExamples/running_3D.mat", "data/IMU2D/P01_normrunning.mat",
         *(f"data/IntroductionExamples/RBDS00{i}runT35.mat" for i in (1, 2, 3))]
RATE = 200
CYCLES = 40
RBDS_STRIDE_S = 0.72


# ---------------------------------------------------------------- data

def fetch(source: str | None) -> dict[str, Path]:
    """The data files, read from a clone or bare git directory (cloned here when not given)."""
    if source is None:
        source = str(Path.home() / ".cache" / "stridesite" / "BioMAC-Sim-Toolbox")
        if not Path(source).exists():
            subprocess.run(["git", "clone", "--depth", "1", REPOSITORY, source], check=True)
    out = Path(tempfile.mkdtemp(prefix="biomac-"))
    paths = {}
    for name in FILES:
        blob = subprocess.run(["git", "--git-dir", _git_dir(source), "show", f"HEAD:{name}"],
                              check=True, capture_output=True).stdout
        paths[Path(name).stem] = out / Path(name).name
        paths[Path(name).stem].write_bytes(blob)
    return paths


def _git_dir(source: str) -> str:
    return str(Path(source) / ".git") if (Path(source) / ".git").exists() else source


def table(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """A BioMAC data file's variables (type|name|segment|k → mean over trials) and events."""
    import matio

    data = matio.load_from_mat(str(path))["dataStruct"]
    variables, out = data["variables"][0, 0], {}

    def first(x) -> str:
        x = np.asarray(x).ravel()
        return str(x[0]) if x.size and isinstance(x[0], str | np.str_ | float | int | np.number) else ""

    for _, row in variables.iterrows():
        key = f"{first(row['type'])}|{first(row['name'])}"
        if "segment" in row.index and np.asarray(row["segment"]).size and first(row["segment"]):
            key += f"|{first(row['segment'])}"
        k = 0
        while f"{key}|{k}" in out:
            k += 1
        out[f"{key}|{k}"] = np.asarray(row["mean"], dtype=float).ravel()
    events = data["movementEvents"][0, 0]
    return out, {first(name): float(first(index)) for name, index in zip(events["name"], events["index"],
                                                                         strict=True)}


def _strike(grf_y: np.ndarray) -> float:
    """Foot strike (fraction of the cycle): where the vertical force rises from zero."""
    on = grf_y > 0.05 * grf_y.max()
    rises = np.flatnonzero(on & ~np.roll(on, 1))
    return float(rises[0]) / len(grf_y)


def _pelvis_path_from_grf(grf_x: np.ndarray, grf_y: np.ndarray, duration: float) -> np.ndarray:
    """Pelvis position (n, 3) whose acceleration is the ground reaction force per unit mass less
    gravity (BW units in), the constant parts removed (periodic)."""
    accel = np.column_stack([grf_x - grf_x.mean(), grf_y - grf_y.mean(), np.zeros_like(grf_x)]) * 9.81
    spectrum = np.fft.rfft(accel, axis=0)
    omega = 2 * np.pi * np.fft.rfftfreq(len(accel), duration / len(accel))
    omega[0] = np.inf
    return np.fft.irfft(-spectrum / omega[:, None] ** 2, len(accel), axis=0)


def closed(values: np.ndarray) -> np.ndarray:
    """A mean cycle made periodic: the step from its last sample to its first, beyond the slope
    on either side, spread as a ramp over the cycle. running_3D's left-leg and pelvis angles
    jump by up to 2.2° there (an artefact of averaging trials cut at the right foot strike),
    which played every stride would be a 400 °/s spike in mid-swing that no leg makes."""
    n = len(values)
    slope = 0.5 * ((values[-1] - values[-2]) + (values[1] - values[0]))
    jump = values[0] - values[-1] - slope
    return values + jump * np.arange(n) / (n - 1)


def running_3d(path: Path) -> GaitCycle:
    v, _ = table(path)
    a = {k.split("|")[1]: closed(x) for k, x in v.items() if k.startswith("angle|")}
    duration = float(v["duration||0"][0])
    n = len(a["pelvis_tilt"])
    t = np.arange(n) * duration / n
    position = np.column_stack([v[f"translation|pelvis_t{c}|0"] for c in "xyz"])
    position -= np.outer(t, (position[-1] - position[0]) / (duration * (n - 1) / n))  # mean speed out
    position -= position.mean(axis=0)
    sides = ("left", "right")
    return GaitCycle(
        duration, a["pelvis_tilt"], {s: a[f"hip_flexion_{s[0]}"] for s in sides},
        {s: a[f"knee_angle_{s[0]}"] for s in sides}, position,
        pelvis_list=a["pelvis_obliquity"], pelvis_rotation=a["pelvis_rotation"],
        hip_adduction={s: a[f"hip_adduction_{s[0]}"] for s in sides},
        hip_rotation={s: a[f"hip_rotation_{s[0]}"] for s in sides},
        foot_strikes={s: np.array([_strike(v[f"GRF|GRF_y_{s[0]}|0"]) * duration]) for s in sides})


def rbds(path: Path) -> GaitCycle:
    """The files hold one step (right foot strike to left foot strike) of a symmetric runner:
    the right leg's second half of the stride is the left leg's first, and the other way round."""
    v, _ = table(path)
    a = {k.split("|")[1]: x for k, x in v.items() if k.startswith("angle|")}
    right = {name: np.concatenate([a[f"{name}_r"], a[f"{name}_l"]]) for name in ("hip_flexion", "knee_angle")}
    left = {name: np.concatenate([a[f"{name}_l"], a[f"{name}_r"]]) for name in ("hip_flexion", "knee_angle")}
    grf_x, grf_y = (np.tile(v[f"GRF|GRF_{c}_r|0"], 2) for c in "xy")
    n = len(grf_y)
    return GaitCycle(
        RBDS_STRIDE_S, np.zeros(n), {"left": left["hip_flexion"], "right": right["hip_flexion"]},
        {"left": left["knee_angle"], "right": right["knee_angle"]},
        _pelvis_path_from_grf(grf_x, grf_y, RBDS_STRIDE_S),
        foot_strikes={"right": np.array([0.0]), "left": np.array([RBDS_STRIDE_S / 2])})


def measured_p01(path: Path) -> tuple[np.ndarray, float, float]:
    """P01's measured IMU cycle (n, 24) in SPEC §4 columns, its duration and the motion-capture
    peak knee flexion (deg) of the right leg. The file's sensor axes are its segments' (x forward,
    y up, z right), so SPEC's nominal frame is (−y, x, z)."""
    v, _ = table(path)
    columns = []
    for segment in ("femur_l", "tibia_l", "femur_r", "tibia_r"):
        acc = np.column_stack([v[f"acc|{segment}|{segment}|{k}"] for k in range(3)])
        gyro = np.degrees(np.column_stack([v[f"gyro|{segment}|{segment}|{k}"] for k in range(3)]))
        columns += [-acc[:, 1], acc[:, 0], acc[:, 2], -gyro[:, 1], gyro[:, 0], gyro[:, 2]]
    knee = -np.degrees(v["angle|knee_angle_r|0"])
    return np.column_stack(columns), float(v["dur|dur|0"][0]), float(knee.max())


# ---------------------------------------------------------------- recordings

@dataclasses.dataclass(frozen=True)
class Case(Wearing):
    engine_lengths: float = 1.0  # the engine's segment lengths ÷ the body's


def recording(cycle: GaitCycle, case: Case, body: Body3D, seed: int = 0) -> tuple[Recording, GaitCycle]:
    return leggings_run(cycle, case, body, CYCLES, seed)


# ---------------------------------------------------------------- scoring

def score(cycle: GaitCycle, case: Case, body: Body3D, seed: int = 0) -> dict[str, float]:
    """Engine minus truth (deg), kickback and knee elevation, both legs' strides pooled; truth is
    the model's SPEC §3 angles over each detected stride."""
    rec, strides_run = recording(cycle, case, body, seed)
    truth = true_angles(strides_run, body)
    t_truth = np.arange(strides_run.n) * strides_run.duration / strides_run.n + STAND_S
    engine_body = Body(body.thigh_m * case.engine_lengths, body.shank_m * case.engine_lengths)
    strides, _ = analyze(rec, engine_body)
    errors = {"kickback": [], "knee_elevation": []}
    for side in ("left", "right"):
        knee_flexion = truth[f"{side}_thigh"] - truth[f"{side}_shank"]
        for s in [s for s in strides if s.leg == side][3:]:  # past the first strides after standing
            inside = (t_truth >= s.t_start) & (t_truth <= s.t_end)
            errors["kickback"].append(s.kickback_deg - knee_flexion[inside].max())
            errors["knee_elevation"].append(s.knee_elevation_deg - truth[f"{side}_thigh"][inside].max())
    found = len(errors["kickback"]) / (2 * (CYCLES - 4))
    out = {"found": found}
    for metric, e in errors.items():
        e = np.array(e) if e else np.array([np.nan])
        out[f"{metric}_bias"] = float(np.mean(e))
        out[f"{metric}_rmse"] = float(np.sqrt(np.mean(e**2)))
        out[f"{metric}_worst"] = float(np.max(np.abs(e)))
    return out


def accuracy(cycle: GaitCycle, case: Case, body: Body3D, seed: int = 0) -> dict[str, float]:
    """SPEC §7 bars on one varied run (`metrics.imu_model.bars`)."""
    rec, run = recording(cycle, case, body, seed)
    strides, _ = analyze(rec, Body(body.thigh_m, body.shank_m))
    return bars(strides, run, body)


SENSITIVITY = [
    ("baseline: lateral, mid-segment, soft tissue, upright stand", Case()),
    ("segment lengths −15 % (engine vs body)", Case(engine_lengths=0.85)),
    ("segment lengths +15 %", Case(engine_lengths=1.15)),
    ("sensor at 20 % of the segment", Case(placement=Placement(at=0.2))),
    ("sensor at 80 % of the segment", Case(placement=Placement(at=0.8))),
    ("sensor on the front surface", Case(placement=Placement(surface="front"))),
    ("no soft tissue", Case(tissue=None)),
    ("soft tissue ×2", Case(tissue=SoftTissue(rotation_deg=3.0, translation_m=0.004))),
    ("thigh internal rotation +15°", Case(internal_rotation_deg=15)),
    ("standing with knees flexed 5°", Case(stand_knee_deg=5)),
    ("standing with pelvis tilted 10°", Case(stand_pelvis_deg=10)),
    ("mounting error 10° (each axis)", Case(placement=Placement(mounting=(10.0, 10.0, 10.0)))),
    ("3 % lost as runs of 8 instants", Case(loss=(0.03, 8))),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--biomac", help="clone or bare git directory of BioMAC-Sim-Toolbox")
    args = parser.parse_args()
    paths = fetch(args.biomac)
    cycles = {"running_3D (4.0 m/s, 3-D)": running_3d(paths["running_3D"])}
    cycles |= {f"RBDS00{i} (3.5 m/s)": rbds(paths[f"RBDS00{i}runT35"]) for i in (1, 2, 3)}
    body = Body3D()
    print(f"numpy {np.__version__}, {os.cpu_count()} cores; {CYCLES} cycles per run at {RATE} Hz\n")
    print("| assumption | " + " | ".join(cycles) + " |")
    print("|---|" + "---|" * len(cycles))
    for name, case in SENSITIVITY:
        cells = []
        for cycle in cycles.values():
            r = score(cycle, case, body)
            cells.append(f"{r['kickback_bias']:+.1f} / {r['knee_elevation_bias']:+.1f}"
                         + ("" if r["found"] > 0.97 else f" (found {r['found']:.0%})"))
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\n(kickback bias / knee elevation bias, degrees: engine minus the model's SPEC §3 angles)")
    print("\nSPEC §7 bars, 3 % of notifications lost as runs of 8 instants, two seeds pooled:\n")
    print("| kinematics | Hz | recall | precision | kickback / knee RMSE ° | gap strides: RMSE ° "
          "| worst good stride ° | low-quality |")
    print("|---|---|---|---|---|---|---|---|")
    for (name, cycle), rate in itertools.product(cycles.items(), (100, 200)):
        runs = [accuracy(cycle, Case(loss=(0.03, 8), rate=rate), body, seed) for seed in (1, 2)]
        mean = {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
        print(f"| {name} | {rate} | {min(r['recall'] for r in runs):.4f} | {min(r['precision'] for r in runs):.4f} "
              f"| {mean['kick']:.2f} / {mean['knee']:.2f} | {mean['gap_kick']:.2f} / {mean['gap_knee']:.2f} "
              f"({sum(r['gaps'] for r in runs)}) | {max(r['worst'] for r in runs):.1f} "
              f"| {sum(r['low'] for r in runs)} |")
    measured(paths["P01_normrunning"])


def measured(path: Path) -> None:
    """P01: the measured IMU cycle, repeated, end to end; kickback against motion capture."""
    cycle, duration, mocap_kickback = measured_p01(path)
    samples = int(round(duration * RATE))
    imu = np.tile(resample_cycle(cycle, samples), (CYCLES, 1))
    t = np.arange(len(imu)) / RATE
    strides, _ = analyze(Recording(t, imu), Body.from_height(1.73))
    right = [s.kickback_deg for s in strides if s.leg == "right"][3:]
    print(f"\nP01 measured IMUs (no standing calibration in the file): {len(right)} right strides, "
          f"kickback median {np.median(right):.1f}°, motion capture {mocap_kickback:.1f}° "
          f"(difference {np.median(right) - mocap_kickback:+.1f}°)")


if __name__ == "__main__":
    main()
