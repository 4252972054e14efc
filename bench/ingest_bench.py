"""Ingest benchmark: N virtual runners through the real agent into one daphne. Prints figures.

    python bench/ingest_bench.py --runners 8 --seconds 30

Reports samples/s forwarded (stored on the server), CPU of agent and server, and
whether every frame was stored (the agent's spool drains to zero).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ingest.live_server import cpu_seconds, free_port, prepare_demo, start_agent, start_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runners", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--loss", type=float, default=0.03)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, spool, port = Path(tmp) / "db.sqlite3", Path(tmp) / "spool.sqlite3", free_port()
        token = prepare_demo(db, args.runners).token
        server = start_server(db, port)
        server_cpu0 = cpu_seconds(server.pid)
        start = time.monotonic()
        agent = start_agent(port, token, spool, "--runners", str(args.runners), "--seconds", str(args.seconds),
                            "--loss", str(args.loss))
        agent_cpu = 0.0
        while agent.poll() is None:
            agent_cpu = max(agent_cpu, cpu_seconds(agent.pid))
            time.sleep(0.2)
        wall = time.monotonic() - start
        server_cpu = cpu_seconds(server.pid) - server_cpu0
        server.terminate()
        stored = sqlite3.connect(db).execute(
            "SELECT SUM(c.count), COUNT(*) FROM runs_rawchunk c JOIN runs_runsession s ON s.id = c.session_id "
            "WHERE s.source = 'live'").fetchone()
        strides = sqlite3.connect(db).execute(
            "SELECT COUNT(*) FROM metrics_striderecord r JOIN runs_runsession s ON s.id = r.session_id "
            "WHERE s.source = 'live'").fetchone()[0]
        print(f"{args.runners} virtual runners × {args.seconds:.0f} s at 200 Hz, {args.loss:.0%} notifications lost")
        print(f"  stored {stored[0]:,} samples in {stored[1]:,} chunks, {strides} strides; agent exit {agent.returncode}"
              f" (0 = spool drained)")
        print(f"  forwarded {stored[0] / args.seconds:,.0f} instants/s = {4 * stored[0] / args.seconds:,.0f} IMU "
              f"samples/s (streaming is real-time paced)")
        print(f"  agent CPU {agent_cpu:.1f} s = {100 * agent_cpu / wall:.0f}% of a core over {wall:.0f} s "
              f"→ ~{stored[0] / max(agent_cpu, 1e-9):,.0f} samples per CPU-second")
        print(f"  server CPU {server_cpu:.1f} s = {100 * server_cpu / wall:.0f}% of a core "
              f"(decode, dedup, store, metrics engine)")


if __name__ == "__main__":
    main()
