"""Seconds per full-resolution frame: SAHI vs hehu (PyTorch, ONNX Runtime) vs the ORT floor.

Not a test: it prints figures. Run from the repository root:

    .venv/bin/python bench/detect/bench_detect.py [--model NAME] [--repeat 5] [--batch 4]

Same weights, same tiles (``tile.size_px`` with ``tile.overlap_frac`` at native
scale) for every row:

  (a) SAHI ``get_sliced_prediction`` with the PyTorch weights, as a user runs
      it: its own process, one slice per forward (its default), no extra
      full-frame pass (``perform_standard_pred=False``);
  (b) hehu ``detect_frame`` on the PyTorch backend;
  (c) hehu ``detect_frame`` on the ONNX Runtime backend;
  (d) bare ``session.run`` over the same tiles, already cut and normalised:
      the compute floor at ONNX Runtime's rate.

Threads: ONNX Runtime and hehu's PyTorch backend use every CPU; SAHI runs
ultralytics' predictor, which sets torch to ``cpu_count - 1`` threads (one on a
2-core machine). Rows take turns, round after round, so the load of other
processes falls on all alike; on a shared machine read the "min" table and the
within-round ratios. The load average is printed.

Frames: ../shared/data/brighton_beach/DJI_0018.JPG (4000×2250) and the same
frame upscaled to 5472×3648 (a 20 MP frame). Decode time is shown apart; it is
in none of the rows. The model is models/NAME when it has a card, else an
untrained YOLO11n built into .cache/hehu-bench/ (same cost per tile). SAHI is
a bench-only dependency: ``pip install sahi``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from pipeline.detect.backends import load_detector, yolo  # noqa: E402
from pipeline.detect.card import ModelCard, ModelCardError, load_card  # noqa: E402
from pipeline.detect.engine import LoadedModel, detect_frame, plan_for  # noqa: E402
from pipeline.detect.slicer import DEFAULT_BATCH  # noqa: E402
from pipeline.detect.tiling import cut_tiles  # noqa: E402

FRAME = REPO.parent / "shared" / "data" / "brighton_beach" / "DJI_0018.JPG"


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` runs after one warm-up run."""
    fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def interleaved(
    fns: dict[str, Callable[[], object]], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds per run of each function, run in turn ``rounds`` times.

    Taking turns spreads the load of other processes on a shared machine over
    every row alike: the minimum is the least disturbed run, and ratios taken
    within a round compare runs that met the same load. CPU seconds (all
    threads of this process) barely depend on that load. A function that runs
    elsewhere returns its own ``(wall_s, cpu_s)``.
    """
    for fn in fns.values():
        fn()
    wall: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for key, fn in fns.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            measured = fn()
            if isinstance(measured, tuple):
                wall[key].append(measured[0])
                cpu[key].append(measured[1])
            else:
                wall[key].append(time.perf_counter() - start)
                cpu[key].append(time.process_time() - start_cpu)
    return wall, cpu


def find_card(name: str | None, models_dir: Path) -> ModelCard:
    if name and (models_dir / name / "card.yaml").is_file():
        return load_card(models_dir, name)
    if name is None and (models_dir / "vehicles" / "card.yaml").is_file():
        return load_card(models_dir, "vehicles")
    cache = REPO / ".cache" / "hehu-bench"
    try:
        load_card(cache, "untrained", verify=False)
    except ModelCardError:  # not built yet, or built before the card schema changed
        from pipeline.detect.scaffold import write_untrained_model

        write_untrained_model(cache, "untrained")
    print(f"(no trained card for {name or 'vehicles'}: using an untrained yolo11n)")
    return load_card(cache, "untrained")


def frames() -> dict[str, np.ndarray]:
    """The two benchmark frames, BGR: the real 4000×2250 one and its 5472×3648 upscale."""
    import cv2

    frame = cv2.imread(str(FRAME))
    return {
        "4000x2250": frame,
        "5472x3648": cv2.resize(frame, (5472, 3648), interpolation=cv2.INTER_CUBIC),
    }


def sahi_worker(pt_path: str, conf: float, size: int, overlap: float) -> int:
    """Child process: SAHI as a user runs it (its own process, ultralytics' thread choice).

    Reads a frame label per line on stdin, answers "wall_s cpu_s" on stdout.
    """
    import cv2

    from pipeline.ultra import import_ultralytics

    import_ultralytics()
    from sahi import AutoDetectionModel
    from sahi.predict import get_sliced_prediction

    model = AutoDetectionModel.from_pretrained(
        model_type="ultralytics", model_path=pt_path, confidence_threshold=conf, device="cpu",
        image_size=size,
    )  # fmt: skip
    rgb = {k: cv2.cvtColor(v, cv2.COLOR_BGR2RGB) for k, v in frames().items()}
    print("ready", flush=True)
    for line in sys.stdin:
        start, start_cpu = time.perf_counter(), time.process_time()
        get_sliced_prediction(
            rgb[line.strip()], model, slice_height=size, slice_width=size,
            overlap_height_ratio=overlap, overlap_width_ratio=overlap,
            perform_standard_pred=False, verbose=0,
        )  # fmt: skip
        print(f"{time.perf_counter() - start} {time.process_time() - start_cpu}", flush=True)
    return 0


class SahiProcess:
    """A running :func:`sahi_worker`; calling it times one frame there: ``(wall_s, cpu_s)``."""

    def __init__(self, card: ModelCard, env: dict[str, str]) -> None:
        import subprocess

        cmd = [
            sys.executable, __file__, "--sahi-worker", str(card.weights_path("pt")),
            str(card.thresholds.conf), str(card.tile.size_px), str(card.tile.overlap_frac),
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        while self.proc.stdout.readline().strip() != "ready":
            if self.proc.poll() is not None:
                raise RuntimeError("the SAHI worker died (is sahi installed? pip install sahi)")

    def runner(self, label: str) -> Callable[[], tuple[float, float]]:
        def run() -> tuple[float, float]:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(label + "\n")
            self.proc.stdin.flush()
            wall, cpu = self.proc.stdout.readline().split()
            return float(wall), float(cpu)

        return run

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def floor_runner(
    card: ModelCard, frame: np.ndarray, session, batch: int
) -> tuple[Callable[[], object], int]:
    plan = plan_for(card, frame.shape[:2])
    blobs = [
        yolo.preprocess(cut_tiles(frame, plan, np.arange(i, min(i + batch, len(plan)))))
        for i in range(0, len(plan), batch)
    ]
    name = session.get_inputs()[0].name
    return (lambda: [session.run(None, {name: b}) for b in blobs]), len(plan)


def bench_frame(label: str, frame: np.ndarray, card: ModelCard, runners: dict, args) -> dict:
    onnx_model, torch_model = runners["onnx"], runners["torch"]
    floor, n_tiles = floor_runner(card, frame, onnx_model.detector.session, args.batch)
    fns: dict[str, Callable[[], object]] = {}
    if runners.get("sahi") is not None:
        fns["a"] = runners["sahi"].runner(label)
    fns["b"] = lambda: detect_frame(frame, [torch_model])
    fns["c"] = lambda: detect_frame(frame, [onnx_model])
    fns["d"] = floor
    runs, cpu = interleaved(fns, args.repeat)
    row = {"tiles": n_tiles, "min": {k: min(v) for k, v in runs.items()}}
    row["median"] = {k: statistics.median(v) for k, v in runs.items()}
    row["cpu"] = {k: statistics.median(v) for k, v in cpu.items()}
    paired = {"c/d": statistics.median(c / d for c, d in zip(runs["c"], runs["d"], strict=True))}
    if "a" in runs:
        paired["a/c"] = statistics.median(a / c for a, c in zip(runs["a"], runs["c"], strict=True))
    row["paired"] = paired
    print(
        f"  {label}: " + ", ".join(f"{k} {[round(t, 2) for t in v]}" for k, v in runs.items()),
        flush=True,
    )
    return row


def print_table(rows: dict[str, dict], decode_s: dict[str, float], stat: str) -> None:
    head = (
        f"{'frame':<12}{'tiles':>6}{'decode':>8}{'(a) SAHI':>10}{'(b) torch':>11}{'(c) ORT':>9}"
        f"{'(d) floor':>11}{'a/c':>7}{'c/d':>7}"
    )
    what = (
        "CPU seconds per frame, all threads (median"
        if stat == "cpu"
        else f"seconds per frame ({stat}"
    )
    print(f"\n{what} of the rounds)\n" + head + "\n" + "-" * len(head))
    for label, row in rows.items():
        r = row[stat]
        a = f"{r['a']:>10.2f}" if "a" in r else f"{'-':>10}"
        ac = f"{r['a'] / r['c']:>6.2f}x" if "a" in r else f"{'-':>7}"
        print(
            f"{label:<12}{row['tiles']:>6.0f}{decode_s[label]:>8.2f}{a}{r['b']:>11.2f}"
            f"{r['c']:>9.2f}{r['d']:>11.2f}{ac}{r['c'] / r['d']:>6.2f}x"
        )


def main() -> int:
    if len(sys.argv) == 6 and sys.argv[1] == "--sahi-worker":
        pt, conf, size, overlap = sys.argv[2:]
        return sahi_worker(pt, float(conf), int(size), float(overlap))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=None)
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default: 5)")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--threads", type=int, default=None, help="ORT intra-op and torch threads")
    parser.add_argument("--no-sahi", action="store_true")
    args = parser.parse_args()

    import cv2

    if not FRAME.is_file():
        print(f"{FRAME} not found", file=sys.stderr)
        return 1
    card = find_card(args.model, args.models_dir)
    print(f"load average at the start: {os.getloadavg()[0]:.2f} over {os.cpu_count()} CPUs")
    print(
        f"model {card.name} v{card.version}, tile {card.tile.size_px} px, "
        f"overlap {card.tile.overlap_frac}, batch {args.batch}, conf {card.thresholds.conf}"
    )
    # SAHI first, in its own process with the caller's environment (hehu's torch
    # backend sets OMP_WAIT_POLICY and torch threads, which SAHI users do not get).
    sahi = None if args.no_sahi else SahiProcess(card, dict(os.environ))
    runners: dict = {
        be: LoadedModel(
            card, load_detector(card, be, batch_size=args.batch, threads=args.threads), args.batch
        )
        for be in ("onnx", "torch")
    }
    runners["sahi"] = sahi
    images = frames()
    _, jpeg = cv2.imencode(".jpg", images["5472x3648"], [cv2.IMWRITE_JPEG_QUALITY, 92])
    decode_s = {
        "4000x2250": timed(lambda: cv2.imread(str(FRAME)), args.repeat),
        "5472x3648": timed(lambda: cv2.imdecode(jpeg, cv2.IMREAD_COLOR), args.repeat),
    }
    try:
        rows = {
            label: bench_frame(label, img, card, runners, args) for label, img in images.items()
        }
    finally:
        if sahi is not None:
            sahi.close()
    for stat in ("min", "median", "cpu"):
        print_table(rows, decode_s, stat)
    print("\nratios within a round (median over rounds)")
    for label, row in rows.items():
        print(f"{label:<12}" + "  ".join(f"{k} {v:.2f}x" for k, v in row["paired"].items()))
    print("targets: a/c >= 2.00x, c/d <= 1.15x")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} over {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
