"""Memory and time to read an uploaded CSV: peak RSS of a fresh process reading a ~100 MB file.

    python bench/upload_parse_bench.py [--mb 100]

The file is a 5-minute simulated recording at 200 Hz repeated until it reaches the size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from metrics.core import Recording, read_csv, write_csv  # noqa: E402
from metrics.simulator import Phase, simulate  # noqa: E402
from tests.metrics.helpers import recording_of  # noqa: E402


def make_file(path: Path, megabytes: float) -> int:
    sim = simulate([Phase("run", 300, 3.5)], sample_rate=200, seed=1)
    part = recording_of(sim)
    rows = 0
    with open(path, "w") as handle:
        write_csv(Recording(part.t, part.imu), handle)
        rows += len(part.t)
        while path.stat().st_size < megabytes * 1e6:
            shift = rows / 200
            np.savetxt(handle, np.column_stack([part.t + shift, part.imu]), delimiter=",",
                       fmt=["%.5f"] + ["%.4f"] * 24)
            rows += len(part.t)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=100)
    parser.add_argument("--file", help="read this file (the child process)")
    args = parser.parse_args()
    if args.file:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.process_time()
        recording = read_csv(args.file)
        spent = time.process_time() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{len(recording):,} rows in {spent:.2f} s CPU; peak RSS {peak:.0f} MB "
              f"({peak - before:.0f} MB more than before reading)")
        return
    import subprocess

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        rows = make_file(path, args.mb)
        print(f"{path.stat().st_size / 1e6:.0f} MB, {rows:,} rows")
        subprocess.run([sys.executable, __file__, "--file", str(path)], check=True)


if __name__ == "__main__":
    main()
