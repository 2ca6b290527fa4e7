"""Load benchmark of the review app: 10,000 candidates, concurrent reviewers, loopback only.

    .venv/bin/python bench/review/bench_load.py [--issues 10000] [--clients 8]
        [--duration 20] [--confirm-every 5] [--db URL] [--json OUT.json]

1. Fills a fresh SQLite ledger (or ``--db``) through ``push_flight`` with
   ``--issues`` candidates in 5 flights (one detection each, 110 m apart so
   each is its own issue), and one reviewer account per client.
2. Serves the app with uvicorn in a **separate process** on 127.0.0.1 (so the
   clients' threads do not share the server's interpreter lock).
3. Each client thread (httpx, its own session) loops for ``--duration``
   seconds: GET a queue page (random page, sort and filters as reviewers use
   them); every ``--confirm-every``-th request confirms one candidate of the
   page it just read (JSON action with the row's version, as the keyboard does).
4. Prints p50/p95/p99 latency per kind of request, throughput, and errors.

Bounded in count and time: ``--duration`` caps the run, ``--max-requests``
the number of requests. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
PASSWORD = "bench-password-1"
SUBTYPES = ("luandui.garbage", "luancai.excavator", "luanjian.shed", "luanzhan.fence")


def fill(url: str, issues: int, clients: int) -> float:
    """Push ``issues`` one-detection candidates in 5 flights; returns seconds taken."""
    import pipeline.review.models  # noqa: F401
    from pipeline.ledger.db import make_engine, make_session_factory, upgrade
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight
    from pipeline.records import FrameMeta, GpsFix, GroundDetection
    from pipeline.review.accounts import create_user
    from pipeline.review.security import make_hasher
    from pipeline.review.store import open_db

    start = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(7)
    per_flight = math.ceil(issues / 5)
    side = math.ceil(math.sqrt(issues))
    for f in range(5):
        frames, dets = [], []
        for i in range(f * per_flight, min(issues, (f + 1) * per_flight)):
            lat, lon = 30.0 + (i // side) * 0.001, 114.0 + (i % side) * 0.00115  # ~110 m apart
            name = f"B{i:06d}"
            sha = hashlib.sha256(name.encode()).hexdigest()
            frames.append(FrameMeta(
                path=f"/bench/{name}.JPG", sha256=sha, size_bytes=1, media_type="image/jpeg",
                width_px=5472, height_px=3648, captured_at=f"2024-05-0{f + 1}T10:00:00",
                gps=GpsFix(lat, lon, 60.0),
            ))  # fmt: skip
            dets.append(GroundDetection(
                frame_sha256=sha, frame_path=f"/bench/{name}.JPG", model="bench",
                model_sha256="b" * 64, class_name="c", subtype=rng.choice(SUBTYPES),
                conf=round(rng.random(), 4), xyxy_px=(100.0, 100.0, 300.0, 260.0),
                lat_deg=lat, lon_deg=lon, area_m2=rng.uniform(5, 8000),
                captured_at=f"2024-05-0{f + 1}T10:00:00",
            ))  # fmt: skip
        push_flight(session_factory=factory, flight=FlightRef(key=f"bench-{f}", name=f"bench {f}"),
                    frames=frames, detections=dets)  # fmt: skip
    engine.dispose()
    db = open_db(url)
    hasher = make_hasher()  # the production profile: login cost is part of the picture
    with db.write() as session:
        for c in range(clients):
            create_user(session=session, hasher=hasher, username=f"bench{c}", role="reviewer",
                        password=PASSWORD, actor="bench")  # fmt: skip
    db.dispose()
    return time.perf_counter() - start


def serve(url: str, port: int, state_dir: str, workers: int) -> None:
    """The server process(es): the app on ``url`` under uvicorn, as ``hehu review`` runs it."""
    from pipeline.review.config import ReviewConfig
    from pipeline.review.server import serve as run_server

    config = ReviewConfig(state_dir=Path(state_dir), login_max_failures_ip=1000)
    run_server(config, url, host="127.0.0.1", port=port, workers=workers, log_level="warning")


def _wait(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server process exited")
        try:
            httpx.get(f"{base}/login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _login(base: str, username: str):
    import httpx

    client = httpx.Client(
        base_url=base, timeout=30, headers={"accept": "text/html"}, follow_redirects=True
    )
    token = re.search(r'data-csrf="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token, "next": "/queue"})  # fmt: skip
    r.raise_for_status()
    client.csrf = re.search(r'data-csrf="([^"]+)"', r.text).group(1)
    return client


QUEUE_VARIANTS = (
    "status=candidate&sort=conf",
    "status=candidate&sort=severity",
    "status=candidate&sort=conf&type=luandui",
    "status=candidate&sort=conf&min_conf=0.5",
    "status=open&sort=area",
)
ROW = re.compile(r'data-code="([^"]+)" data-version="(\d+)" data-status="candidate"')


def worker(client, pages, stop_at, confirm_every, results, errors, budget, seed):
    rng = random.Random(seed)
    n = 0
    while time.monotonic() < stop_at and budget.acquire(blocking=False):
        n += 1
        variant = rng.choice(QUEUE_VARIANTS)
        url = f"/queue?{variant}&page_no={rng.randint(1, pages)}"
        t0 = time.perf_counter()
        r = client.get(url)
        results["queue"].append(time.perf_counter() - t0)
        if r.status_code != 200:
            errors[f"queue {r.status_code}"] += 1
            continue
        if n % confirm_every:
            continue
        rows = ROW.findall(r.text)
        if not rows:
            continue
        code, version = rng.choice(rows)
        t0 = time.perf_counter()
        headers = {"x-csrf-token": client.csrf, "accept": "application/json"}
        r = client.post(
            f"/api/issues/{code}/confirm", json={"version": int(version)}, headers=headers
        )
        results["confirm" if r.status_code == 200 else f"confirm_{r.status_code}"].append(
            time.perf_counter() - t0
        )
        if r.status_code not in (200, 409):
            errors[f"confirm {r.status_code}"] += 1


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load (cap)")
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--confirm-every", type=int, default=5)
    parser.add_argument("--db", default=None, help="an empty database URL (default: temp SQLite)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--serve", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2], int(args.serve[3]))
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="hehu-bench-"))
    url = args.db or f"sqlite:///{tmp / 'ledger.sqlite'}"
    fill_s = fill(url, args.issues, args.clients)
    print(f"filled {args.issues} candidates in {fill_s:.1f} s ({url})", flush=True)
    sys.path.insert(0, str(REPO / "tests" / "review"))
    from live import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    serve_args = ["--serve", url, str(port), str(tmp / "state"), str(args.workers)]
    proc = subprocess.Popen([sys.executable, __file__, *serve_args], env=env)
    try:
        _wait(base, proc)
        results: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        budget = threading.Semaphore(args.max_requests)
        pages = max(1, args.issues // 50)
        clients = [_login(base, f"bench{c}") for c in range(args.clients)]
        stop_at = time.monotonic() + args.duration
        threads = [
            threading.Thread(
                target=worker,
                args=(client, pages, stop_at, args.confirm_every, results, errors, budget, c),
            )
            for c, client in enumerate(clients)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        for client in clients:
            client.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    report = {
        "issues": args.issues,
        "clients": args.clients,
        "workers": args.workers,
        "duration_s": round(elapsed, 1),
        "backend": url.split(":", 1)[0],
        "errors": dict(errors),
        "requests_per_s": round(sum(len(v) for v in results.values()) / elapsed, 1),
    }
    for kind, values in sorted(results.items()):
        report[kind] = {
            "n": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(pct(values, 0.95) * 1000, 1),
            "p99_ms": round(pct(values, 0.99) * 1000, 1),
        }
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
