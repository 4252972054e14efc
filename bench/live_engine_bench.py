"""The live engine's cost per runner, fed every frame or only when a stride may complete
(`metrics.core.pacing.PacedFeed`). Prints figures.

    taskset -c 1 python bench/live_engine_bench.py [--seconds 60] [--repeats 3]

One runner's samples (simulated running at three speeds, and with 3 % of notifications lost as
runs of 8 instants) go to the engine in 100 ms frames, as the ingest socket hands them over.
Reported per scenario: engine calls per frame, engine CPU per second of running (so 1 % of a
core is 10 ms/s), and how many strides reached the board later than frame by frame would have
sent them (and by how many frames at most). The two ways are fed frame by frame in turn, so
the machine's drift falls on both alike.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from metrics.core import Body, StrideEngine, pacing  # noqa: E402
from metrics.simulator import SENSORS, Phase, simulate  # noqa: E402

RATE, FRAME_S = 200, 0.1


def samples(speed: float, seconds: float, loss: float) -> tuple[np.ndarray, np.ndarray]:
    sim = simulate([Phase("stand", 3.0), Phase("run", seconds, speed)], sample_rate=RATE, seed=3)
    values = np.column_stack([sim.imu[s] for s in SENSORS])
    keep = np.ones(len(values), dtype=bool)
    rng = np.random.default_rng(3)
    for start in rng.choice(len(values) - 8, int(loss * len(values) / 8), replace=False):
        keep[start: start + 8] = False
    return (np.arange(len(values)) / RATE)[keep], values[keep]


def fed(t: np.ndarray, values: np.ndarray) -> dict[bool, tuple[float, int, int, dict]]:
    """Per way (fed every frame: True, paced: False) its (CPU seconds, engine calls, frames, the
    frame each stride came in). The two are fed frame by frame in turn, so the machine's drift
    falls on both alike."""
    states = {every: pacing.PacedFeed(StrideEngine(Body.from_height(1.75), sample_rate=RATE))
              for every in (True, False)}
    cpu, came = {True: 0.0, False: 0.0}, {True: {}, False: {}}
    calls = {True: 0, False: 0}
    for every, state in states.items():
        state.engine.feed = _counted(state.engine.feed, calls, every)
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + FRAME_S, FRAME_S))
    frames = [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
    for k, frame in enumerate([*frames, None]):  # None: the end of the stream
        for every, state in states.items():
            start = time.process_time()
            with mock.patch.object(pacing, "HOLD_S", 0.0 if every else pacing.HOLD_S):
                strides = state.release() if frame is None else state.take(t[frame], values[frame])
            cpu[every] += time.process_time() - start
            for stride in strides:
                came[every][(stride.leg, stride.t_start)] = k
    return {every: (cpu[every], calls[every], len(frames), came[every]) for every in (True, False)}


def _counted(feed, calls: dict, key: bool):
    def counted(*args):
        calls[key] += 1
        return feed(*args)
    return counted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| scenario | way | engine calls a frame | engine CPU per s of running (best of "
          f"{args.repeats}) | strides | later than every frame (most frames) |")
    print("|---|---|---|---|---|---|")
    for name, speed, loss in (("2.5 m/s", 2.5, 0.0), ("3.8 m/s", 3.8, 0.0), ("6.5 m/s", 6.5, 0.0),
                              ("3.8 m/s, 3 % lost in runs of 8", 3.8, 0.03)):
        t, values = samples(speed, args.seconds, loss)
        best = {True: np.inf, False: np.inf}
        for _ in range(args.repeats):
            runs = fed(t, values)
            for every in (True, False):
                best[every] = min(best[every], runs[every][0])
        reference = runs[True][3]
        for every in (True, False):
            _, calls, frames, came = runs[every]
            late = [came[key] - frame for key, frame in reference.items() if came[key] > frame]
            print(f"| {name} | {'every frame' if every else 'when a stride may complete'} | "
                  f"{calls / frames:.2f} | {1000 * best[every] / (t[-1] - t[0]):.2f} ms | {len(came)} | "
                  f"{len(late)} ({max(late, default=0)}) |", flush=True)


if __name__ == "__main__":
    main()
