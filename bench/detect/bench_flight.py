"""A whole flight's detection: hehu (tiles skipped) vs hehu --no-skip vs a SAHI pass.

Run:  .venv/bin/python bench/detect/bench_flight.py [FLIGHT_DIR] [--model vehicles|all]
          [--copies 10] [--end-to-end] [--no-sahi] [--repeat 2]
      .venv/bin/python bench/detect/bench_flight.py ../shared/data/river-plastic \\
          --model river-debris --stills 40

In one process, one after the other (the CPU may be shared: compare ratios
within one run only):

1. hehu: ingest and yaw check (not timed), the skip plan, then every frame
   decoded once (DCT-reduced where the model allows) and detected on the tiles
   the plan leaves (``pipeline.run.detect_frames``);
2. hehu ``--no-skip``: every tile of every frame;
3. (a) SAHI ``get_sliced_prediction`` over every frame with the same weights (the
   card's ``.pt``), tile size and overlap, in this process with
   ``torch.set_num_threads(2)``; each frame is decoded whole and resized to the
   scale hehu gives the model (so both cut the same tiles of the same ground);
4. with ``--end-to-end``: ``hehu run --no-prefect`` with and without skipping
   (ingest to report, into a fresh ledger each).

Printed per row: tiles detected, tiles skipped by cause, decode s, detect s (the
rest of the stage: tiling, inference, merge, gates), total, and each total over
hehu's. Then recall: both hehu runs' detections placed on the ground; an object
of the ``--no-skip`` run (its boxes of one class linked within ``--radius`` m
across frames) is lost when no box of the skipping run lies within the radius of
it. Lost objects are listed with their views and best confidence.

``--stills N`` takes up to N stills that carry no geotag (ingest sets such frames
aside, so no flight plan or ground skips): the model runs on each with and without
skipping land tiles, and the boxes are matched frame by frame.

``--copies N`` runs on a flight of N copies of the folder's JPEGs in one folder
(each padded with trailing zero bytes so its sha256 differs; 10 copies of
Brighton's 18 frames are the 180-frame flight).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FLIGHT = REPO.parent / "shared" / "data" / "brighton_beach"


def copies_in_one_folder(flight: Path, copies: int, out: Path) -> Path:
    """``copies`` copies of the flight's JPEGs in ``out``, each distinct by padding."""
    out.mkdir(parents=True, exist_ok=True)
    for k in range(copies):
        for src in sorted(flight.glob("*.JPG")):
            (out / f"c{k:02d}_{src.name}").write_bytes(src.read_bytes() + b"\0" * (k + 1))
    return out


class DecodeClock:
    """Seconds spent in ``engine.decode_frame`` while installed."""

    def __init__(self) -> None:
        import pipeline.detect.engine as engine

        self.engine, self.original, self.seconds = engine, engine.decode_frame, 0.0

    def __enter__(self) -> DecodeClock:
        def timed(path, **kw):
            start = time.perf_counter()
            try:
                return self.original(path, **kw)
            finally:
                self.seconds += time.perf_counter() - start

        self.engine.decode_frame = timed
        return self

    def __exit__(self, *exc) -> None:
        self.engine.decode_frame = self.original


def hehu_row(plan, config, skip: bool) -> tuple[dict, object]:
    from pipeline import run

    config = config.model_copy(update={"detect": config.detect.model_copy(update={"skip": skip})})
    start = time.perf_counter()
    skips = run.plan_skips(plan, config)
    plan_s = time.perf_counter() - start
    with DecodeClock() as clock:
        result = run.detect_frames(plan.frames, config, skips=skips)
    result = run.merge_batches([result], skips)
    total = time.perf_counter() - start
    counts: dict[str, int] = {}
    for per_model in result.gates.tiles.values():
        for cause, n in per_model.items():
            counts[cause] = counts.get(cause, 0) + n
    row = {"tiles": counts.get("detected", 0),
           "skipped": {k: v for k, v in counts.items() if k != "detected"},
           "decode": clock.seconds, "detect": total - clock.seconds - plan_s, "plan": plan_s,
           "total": total}  # fmt: skip
    return row, run.place_on_ground(plan, result)


def sahi_row(plan, config) -> dict:
    """SAHI over every frame, same weights, tiles and overlap, at hehu's scale for each
    model; each frame decoded once for all models (as hehu does)."""
    import cv2

    from pipeline.detect.engine import plan_for
    from pipeline.run import _gsd, load_detectors
    from pipeline.ultra import import_ultralytics

    import_ultralytics()
    import torch
    from sahi import AutoDetectionModel
    from sahi.predict import get_sliced_prediction
    from sahi.slicing import get_slice_bboxes

    torch.set_num_threads(2)
    models = [(m.card, AutoDetectionModel.from_pretrained(
        model_type="ultralytics", model_path=str(m.card.weights_path("pt")),
        confidence_threshold=m.detector.conf, device="cpu", image_size=m.card.input_size_px,
    )) for m in load_detectors(config)]  # fmt: skip
    decode = detect = 0.0
    tiles = 0
    for frame in plan.frames:
        meta = frame.meta
        start = time.perf_counter()
        image = cv2.imread(meta.path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        decode += time.perf_counter() - start
        for card, sahi in models:
            start = time.perf_counter()
            tile_plan = plan_for(card, image.shape[:2], _gsd(meta, config.geo.ground_settings()))
            size = tile_plan.scaled_hw[::-1]
            rgb = cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_AREA),
                               cv2.COLOR_BGR2RGB)  # fmt: skip
            mid = time.perf_counter()
            s, overlap = card.input_size_px, card.tile.overlap_frac
            get_sliced_prediction(rgb, sahi, slice_height=s, slice_width=s,
                                  overlap_height_ratio=overlap, overlap_width_ratio=overlap,
                                  perform_standard_pred=False, verbose=0)  # fmt: skip
            tiles += len(get_slice_bboxes(rgb.shape[0], rgb.shape[1], s, s,
                                          overlap_height_ratio=overlap,
                                          overlap_width_ratio=overlap))  # fmt: skip
            decode, detect = decode + mid - start, detect + time.perf_counter() - mid
    return {"tiles": tiles, "skipped": {}, "decode": decode, "detect": detect, "plan": 0.0,
            "total": decode + detect}  # fmt: skip


def end_to_end_s(flight: Path, config_path: Path, skip: bool, tmp: Path) -> float:
    from pipeline.config import load_config
    from pipeline.stages import run_flight

    db = tmp / f"ledger-{skip}.sqlite"
    overrides = {"ledger": {"url": f"sqlite:///{db}"}, "detect": {"skip": skip},
                 "report": {"out_dir": str(tmp / f"report-{skip}")}}  # fmt: skip
    config = load_config(config_path, overrides)
    start = time.perf_counter()
    run_flight(flight, config)
    return time.perf_counter() - start


def objects(detections, radius_m: float) -> list[list]:
    """Placed detections linked into objects: same class, within ``radius_m`` of a member."""
    placed = [d for d in detections if d.lat_deg is not None]
    groups: list[list] = []
    for d in sorted(placed, key=lambda d: -d.conf):
        near = [g for g in groups if g[0].class_name == d.class_name
                and min(distance_m(d, o) for o in g) <= radius_m]  # fmt: skip
        if near:
            near[0].extend([d, *[x for g in near[1:] for x in g]])
            groups = [g for g in groups if g not in near[1:]]
        else:
            groups.append([d])
    return groups


def distance_m(a, b) -> float:
    from pipeline.geo.coords import haversine_m

    return float(haversine_m(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg))


def recall(full, skipped, radius_m: float) -> None:
    truth = objects(full.detections, radius_m)
    found = [d for d in skipped.detections if d.lat_deg is not None]
    lost = [g for g in truth if not any(
        d.class_name == g[0].class_name and distance_m(d, o) <= radius_m for d in found for o in g
    )]  # fmt: skip
    print(f"\nrecall vs --no-skip: {len(truth) - len(lost)} of {len(truth)} objects found "
          f"({len(full.detections)} boxes without skipping, {len(skipped.detections)} with; "
          f"radius {radius_m} m)")  # fmt: skip
    for g in lost:
        frames = sorted({Path(d.frame_path).name for d in g})
        print(
            f"  lost: {g[0].class_name} at {g[0].lat_deg:.6f}, {g[0].lon_deg:.6f}: "
            f"{len(g)} box(es) in {', '.join(frames)}, best conf {max(d.conf for d in g):.2f}"
        )
    unplaced_recall(full, skipped)


def unplaced_recall(full, skipped) -> None:
    """Frames not placed on the ground: boxes matched in the same frame (IoU >= 0.5)."""
    from pipeline.detect.metrics import box_iou

    truth = [d for d in full.detections if d.lat_deg is None]
    if not truth:
        return
    found = [d for d in skipped.detections if d.lat_deg is None]
    lost = []
    for d in truth:
        same = [o.xyxy_px for o in found
                if o.frame_sha256 == d.frame_sha256 and o.class_name == d.class_name]  # fmt: skip
        if not same or box_iou(np.array([d.xyxy_px]), np.array(same)).max() < 0.5:
            lost.append(d)
    print(f"frames not placed: {len(truth) - len(lost)} of {len(truth)} boxes found in the same "
          f"frame (IoU >= 0.5); {len(found)} boxes with skipping")  # fmt: skip
    for d in lost:
        print(f"  lost: {d.class_name} {Path(d.frame_path).name} {d.xyxy_px} conf {d.conf:.2f}")


def stills(folder: Path, model_name: str, limit: int) -> None:
    """Stills without a geotag (ingest sets them aside): the model on each frame with and
    without skipping its land tiles, boxes matched in the same frame (IoU >= 0.5)."""
    from pipeline.detect.engine import decode_frame, detect_frame, load_model
    from pipeline.detect.metrics import box_iou

    model = load_model(model_name)
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))[:limit]
    n_full = n_lost = tiles_skip = tiles_all = 0
    seconds = np.zeros(2)
    for path in paths:
        image = decode_frame(path)
        runs = []
        for i, skip_land in enumerate((True, False)):
            start = time.perf_counter()
            runs.append(detect_frame(image, [model], skip_land=skip_land)[model_name])
            seconds[i] += time.perf_counter() - start
        skip, full = runs
        tiles_skip, tiles_all = tiles_skip + skip.tiles_run, tiles_all + full.tiles_run
        n_full += len(full.detections)
        if len(full.detections):
            iou = box_iou(full.detections.xyxy_px, skip.detections.xyxy_px) if len(
                skip.detections) else np.zeros((len(full.detections), 1))  # fmt: skip
            lost = np.flatnonzero(iou.max(axis=1) < 0.5)
            n_lost += len(lost)
            for k in lost:
                print(f"  lost: {path.name} {full.detections.xyxy_px[k].round(1).tolist()} "
                      f"conf {full.detections.conf[k]:.2f}")  # fmt: skip
    print(f"{len(paths)} stills, {model_name}: tiles {tiles_skip} with skipping, {tiles_all} "
          f"without; detect {seconds[0]:.2f} s vs {seconds[1]:.2f} s; boxes found "
          f"{n_full - n_lost} of {n_full}")  # fmt: skip


def print_rows(rows: dict[str, dict]) -> None:
    ref = rows["hehu"]["total"]
    print(f"\n{'run':<16}{'tiles':>7}  {'skipped by cause':<44}{'decode s':>9}{'detect s':>9}"
          f"{'total s':>9}{'÷ hehu':>8}")  # fmt: skip
    for name, r in rows.items():
        why = ", ".join(f"{k} {v}" for k, v in r["skipped"].items()) or "-"
        print(f"{name:<16}{r['tiles']:>7}  {why:<44}{r['decode']:>9.2f}{r['detect']:>9.2f}"
              f"{r['total']:>9.2f}{r['total'] / ref:>8.2f}")  # fmt: skip
    print(f"(hehu's total includes planning the skips: {rows['hehu']['plan']:.2f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("flight", type=Path, nargs="?", default=DEFAULT_FLIGHT)
    parser.add_argument(
        "--model",
        default="vehicles",
        help="a model, or 'all' for the taxonomy's enabled models together",
    )
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--copies", type=int, default=0)
    parser.add_argument("--radius", type=float, default=3.0, help="metres (recall)")
    parser.add_argument("--end-to-end", action="store_true")
    parser.add_argument("--no-sahi", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds (best kept)")
    parser.add_argument("--stills", type=int, default=0,
                        help="up to N stills without geotags: land-tile skipping only")  # fmt: skip
    args = parser.parse_args()
    if args.stills:
        stills(args.flight, args.model, args.stills)
        return 0
    from pipeline import run
    from pipeline.config import load_config

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp, flight = Path(tmp_name), args.flight
        if args.copies:
            flight = copies_in_one_folder(args.flight, args.copies, tmp / "flight")
        models = None if args.model == "all" else [args.model]
        config = load_config(args.config, {"detect": {"models": models}})
        plan = run.check_flight_yaw(run.plan_flight(flight, config), config)
        names = [m.name for m in run.load_detectors(config)]  # loaded before the clocks start
        print(f"{flight}: {len(plan.frames)} frames, models {', '.join(names)}")
        rows: dict[str, dict] = {}
        placed = {}
        for _ in range(args.repeat):  # interleaved; each row keeps its fastest round
            runs = {"hehu": lambda: hehu_row(plan, config, skip=True),
                    "hehu --no-skip": lambda: hehu_row(plan, config, skip=False)}  # fmt: skip
            if not args.no_sahi:
                runs["(a) SAHI"] = lambda: (sahi_row(plan, config), None)
            for name, fn in runs.items():
                row, placed[name] = fn()
                if name not in rows or row["total"] < rows[name]["total"]:
                    rows[name] = row
        print_rows(rows)
        recall(placed["hehu --no-skip"], placed["hehu"], args.radius)
        if args.end_to_end:
            cfg = tmp / "config.yaml"
            chosen = "null" if models is None else f"[{args.model}]"
            cfg.write_text(f"detect:\n  models: {chosen}\n", encoding="utf-8")
            e2e = {s: end_to_end_s(flight, cfg, s, tmp) for s in (True, False)}
            print(f"\nend to end (hehu run --no-prefect): {e2e[True]:.2f} s, with --no-skip "
                  f"{e2e[False]:.2f} s ({e2e[False] / e2e[True]:.2f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
