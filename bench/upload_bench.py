"""A 2-hour upload against a real daphne and its worker: how soon the request returns, how long
until the strides are stored, memory, and another user's page latency meanwhile. Prints figures.

    python bench/upload_bench.py [--minutes 120] [--plain]

The file is a 5-minute simulated recording at 200 Hz repeated (gzip-compressed unless --plain),
sent as the upload page sends it: in parts, then a finishing request that queues the work.
daphne runs on core 0 with the measuring client; the worker (`manage.py run_huey`) on core 1,
where its reader thread and its engine share the core with nothing else (`--worker-cpus 0,1`
lets it use both; `--alone` leaves out the other user loading pages meanwhile). Both run as
deployed (DEBUG=0); `--debug` for the development settings.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from metrics.core.recording import COLUMNS  # noqa: E402
from metrics.simulator import Phase, simulate  # noqa: E402
from tests.ingest.live_server import (  # noqa: E402
    free_port,
    login_cookie,
    prepare_demo,
    start_server,
    start_worker,
)
from tests.metrics.helpers import recording_of  # noqa: E402


def make_file(path: Path, minutes: float, compressed: bool) -> None:
    part = recording_of(simulate([Phase("stand", 5.0), Phase("run", 295.0, 3.5)], sample_rate=200, seed=1))
    opener = gzip.open if compressed else open
    with opener(path, "wt", **({"compresslevel": 1} if compressed else {})) as handle:
        handle.write(",".join(COLUMNS) + "\n")
        for k in range(int(round(minutes / 5))):
            np.savetxt(handle, np.column_stack([part.t + 300.0 * k, part.imu]), delimiter=",",
                       fmt=["%.5f"] + ["%.4f"] * 24)


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def finished_at(db: Path) -> float:
    """When the worker marked the upload done (Unix seconds), read from the database: the bench
    then polls only as often as the session page does, so its polling adds no load."""
    with sqlite3.connect(db) as conn:
        (text,) = conn.execute("SELECT finished_at FROM runs_upload ORDER BY id DESC LIMIT 1").fetchone()
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def send_file(port: int, cookie: str, path: Path) -> tuple[float, float, str]:
    """What upload.js does: start, parts of PART_BYTES, finish. Returns (seconds sending the parts,
    seconds the finishing request took, the session page's URL)."""
    csrf = "x" * 32
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Cookie": f"sessionid={cookie}; csrftoken={csrf}", "X-CSRFToken": csrf,
               "Referer": f"http://127.0.0.1:{port}/sessions/upload/"}

    def post(url: str, body: bytes, content_type: str = "application/octet-stream") -> dict:
        connection.request("POST", url, body=body, headers={**headers, "Content-Type": content_type})
        response = connection.getresponse()
        answer = json.loads(response.read() or b"{}")
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}: {answer}")
        return answer

    size = path.stat().st_size
    start = time.perf_counter()
    upload = post("/sessions/upload/start/", f"name={path.name}&size={size}".encode(),
                  "application/x-www-form-urlencoded")
    with open(path, "rb") as body:
        offset = 0
        while part := body.read(upload["part_bytes"]):
            offset = post(f"{upload['part_url']}?offset={offset}", part)["received"]
    sent = time.perf_counter()
    location = post(upload["finish_url"], b"")["url"]
    return sent - start, time.perf_counter() - sent, location


def post_whole(port: int, cookie: str, path: Path) -> tuple[float, float, str]:
    """The form posted whole (a page without script), streamed from disk. Returns (seconds
    sending, seconds from the last byte to the response, the session page's URL)."""
    csrf, boundary = "x" * 32, uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n{csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.putrequest("POST", "/sessions/upload/")
    for name, value in (("Content-Type", f"multipart/form-data; boundary={boundary}"),
                        ("Content-Length", str(len(head) + path.stat().st_size + len(tail))),
                        ("Cookie", f"sessionid={cookie}; csrftoken={csrf}"),
                        ("Referer", f"http://127.0.0.1:{port}/sessions/upload/")):
        connection.putheader(name, value)
    connection.endheaders()
    start = time.perf_counter()
    connection.send(head)
    with open(path, "rb") as body:
        while piece := body.read(1 << 20):
            connection.send(piece)
    connection.send(tail)
    sent = time.perf_counter()
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"upload answered {response.status}")
    return sent - start, time.perf_counter() - sent, response.getheader("Location", "")


def victim(port: int, cookie: str, stop: threading.Event, times: list[float]) -> None:
    """Another user (the coach) loading his squad page every 100 ms."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/squads/1/", headers={"Cookie": f"sessionid={cookie}"})
    while not stop.is_set():
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 — our own server
            response.read()
        times.append(time.perf_counter() - start)
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=120)
    parser.add_argument("--plain", action="store_true", help="upload plain CSV, not gzip")
    parser.add_argument("--whole", action="store_true", help="post the form whole, as a page without script")
    parser.add_argument("--worker-cpus", default="1", help="taskset list for the worker (default: core 1)")
    parser.add_argument("--alone", action="store_true", help="no other user loading pages meanwhile")
    parser.add_argument("--debug", action="store_true",
                        help="server and worker with DEBUG=1 (query log on); default: DEBUG=0, as deployed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite3"
        path = Path(folder) / ("run.csv" if args.plain else "run.csv.gz")
        make_file(path, args.minutes, compressed=not args.plain)
        size_mb = path.stat().st_size / 1e6
        prepare_demo(db)
        port = free_port()
        server = start_server(db, port, production=not args.debug)
        subprocess.run(["taskset", "-pc", "0", str(server.pid)], check=True, capture_output=True)
        worker = start_worker(db, production=not args.debug, cpus=args.worker_cpus)
        subprocess.run(["taskset", "-pc", "0", str(os.getpid())], check=True, capture_output=True)
        runner, coach = login_cookie(db, "runner1"), login_cookie(db, "coach")
        before: list[float] = []
        stop = threading.Event()
        watch = threading.Thread(target=victim, args=(port, coach, stop, before))
        watch.start()
        time.sleep(3)
        stop.set()
        watch.join()
        during: list[float] = []
        stop = threading.Event()
        watch = threading.Thread(target=victim, args=(port, coach, stop, during))
        if not args.alone:
            watch.start()
        sending, returned, location = (post_whole if args.whole else send_file)(port, runner, path)
        queued = time.time()
        status_url = f"http://127.0.0.1:{port}{location}upload/"
        request = urllib.request.Request(status_url, headers={"Cookie": f"sessionid={runner}"})
        while True:
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    status = json.loads(response.read())
            except urllib.error.HTTPError:  # a version that analysed uploads inside the request
                status = {"stage": "done (in the request)", "error": ""}
            if status["stage"].startswith(("done", "failed")):
                break
            time.sleep(1.0)  # as the session page polls
        done = finished_at(db)
        stop.set()
        if not args.alone:
            watch.join()
        worker_peak, server_peak = peak_mb(worker.pid), peak_mb(server.pid)
        for process in (worker, server):
            process.terminate()
            process.wait(timeout=10)
    data_s = args.minutes * 60
    print(f"{args.minutes:.0f} min at 200 Hz, {'plain' if args.plain else 'gzip'} "
          f"{size_mb:.0f} MB: {status['stage']} {status['error']}")
    print(f"sending took {sending:.1f} s (localhost, {'one form post' if args.whole else 'in parts'}); "
          f"the last request returned {returned * 1000:.0f} ms after its last byte")
    print(f"queued → strides stored: {done - queued:.2f} s = {data_s / (done - queued):,.0f}× real time")
    print(f"peak RSS: worker {worker_peak:.0f} MB, server {server_peak:.0f} MB")
    for label, times in (("before", before), ("during the upload and its analysis", during)):
        if not times:
            continue
        ms = np.array(times) * 1000
        print(f"another user's page {label}: p50 {np.percentile(ms, 50):.0f} ms, "
              f"p99 {np.percentile(ms, 99):.0f} ms ({len(ms)} pages)")


if __name__ == "__main__":
    main()
