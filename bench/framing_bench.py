"""How the agent's framing sets a stride's delay and the server's work: frames of 100 ms against
frames that end where the engine can confirm a stride (`metrics.core.stride_cuts`). Prints figures.

    taskset -c 1 python bench/framing_bench.py [--seconds 60] [--max-frame-ms 100 200 300]

Virtual leggings (the demo's simulated runner, 8° mounting error) emit their BLE notifications
in sample time; the agent's real `Framer` cuts them into frames; each frame goes, when its last
notification is in, to the engine behind `PacedFeed`, as the server feeds it. Per scenario and
way: frames a second (each costs the server its socket message, decoding, writing and ack),
engine calls a second, and from a stride's end (its next foot strike) to the moment the frame
that completed it was ready: p50 / p99 / max (strides a lost sample kept waiting for their anchor
are the p99 with losses, the same for every way). The network, the server's queue and the
boards' tick come on top. The strides themselves must be identical (those left at the end too).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.agent.framer import Framer  # noqa: E402
from ingest.agent.spool import Spool  # noqa: E402
from ingest.agent.virtual import INTERLEAVE, VirtualLeggings  # noqa: E402
from ingest.protocol import ble, frames  # noqa: E402
from metrics.core import Body, StrideEngine  # noqa: E402
from metrics.core.pacing import PacedFeed  # noqa: E402
from metrics.core.stride_cuts import StrideCuts  # noqa: E402

PER = ble.MAX_INSTANTS


def run(speed: float, seconds: float, loss: float, max_frame_s: float, aligned: bool) -> dict:
    device = VirtualLeggings("AA:00:00:00:00:01", "bench", seed=5, speed=speed)
    group = PER * INTERLEAVE
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        framer = Framer(device.address, Spool(Path(tmp) / "spool.sqlite3"), max_frame_s=max_frame_s,
                        stride_cuts=StrideCuts() if aligned else None)
        feed = PacedFeed(StrideEngine(Body.from_height(1.75), sample_rate=device.rate_hz))
        calls, made, delays, strides = 0, 0, [], []
        engine_feed = feed.engine.feed

        def counted(t, v):
            nonlocal calls
            calls += 1
            return engine_feed(t, v)

        feed.engine.feed = counted
        start = 20 * device.rate_hz  # past the demo loop's standing and walking
        cpu = time.process_time()
        for first in range(start, start + int(seconds * device.rate_hz), group):
            for k in range(INTERLEAVE):
                if rng.random() >= loss:
                    framer.on_notification(device.notification(first // group * INTERLEAVE + k, first + k, PER))
            ready = (first + group) / device.rate_hz  # the group's last instant is sampled
            for _, _, payload in framer.outbox:
                frame = frames.decode(payload)
                made += 1
                for stride in feed.take(frame.indices / device.rate_hz, frame.physical()):
                    delays.append(ready - stride.t_end)
                    strides.append((stride.leg, stride.t_end, stride.kickback_deg))
            framer.outbox = []
        strides += [(stride.leg, stride.t_end, stride.kickback_deg) for stride in feed.finish()]
        cpu = time.process_time() - cpu
    d = np.array(delays) * 1000
    return {"frames": made / seconds, "calls": calls / seconds, "strides": strides, "cpu": cpu / seconds,
            "p50": np.percentile(d, 50), "p99": np.percentile(d, 99), "max": d.max()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-frame-ms", type=int, nargs="+", default=[100, 200, 300])
    args = parser.parse_args()
    print("| scenario | frames | frames/s | engine calls/s | strides | stride end → frame ready p50 / p99 / max |")
    print("|---|---|---|---|---|---|")
    for speed, loss in ((2.5, 0.0), (3.8, 0.0), (6.5, 0.0), (3.8, 0.03)):
        name = f"{speed} m/s" + (f", {loss:.0%} of notifications lost" if loss else "")
        fixed = run(speed, args.seconds, loss, 0.1, aligned=False)
        ways = [("every 100 ms", fixed)] + [
            (f"at strides, ≤ {ms} ms", run(speed, args.seconds, loss, ms / 1000, aligned=True))
            for ms in args.max_frame_ms]
        for way, r in ways:
            same = "same" if r["strides"] == fixed["strides"] else "DIFFERENT"
            print(f"| {name} | {way} | {r['frames']:.1f} | {r['calls']:.1f} | {len(r['strides'])} ({same}) | "
                  f"{r['p50']:.0f} / {r['p99']:.0f} / {r['max']:.0f} ms |", flush=True)


if __name__ == "__main__":
    main()
