"""One issue per car? Association figures on real frames with vehicle labels.

Run from the checkout (any version of hehu: it uses only ``pipeline.run``'s
stages and the ledger tables every version has)::

    YOLO_OFFLINE=1 python bench/ledger/association.py            # aerial-cars
    YOLO_OFFLINE=1 python bench/ledger/association.py --brighton # Brighton candidates

**aerial-cars** (../shared/data/aerial-cars): the 11 ``DJI-00760-*`` video
frames of one intersection (1920×1080, no geotag) and the two geotagged
stills ``DJI_0010.JPG``/``DJI_0012.JPG`` (FC220, ≈ 99 m). What is assumed:

- the video frames get, in copies under a temporary folder (never the repo),
  one hovering pose: EXIF GPS 53.9° N 27.56° E, RelativeAltitude 80 m, gimbal
  pitch −90°, yaw 0°, roll 0°, a 24 mm (35 mm equivalent) lens, and a capture
  time one second per video frame number. 80 m at that lens gives ≈ 6 cm/px,
  the vehicle model's training scale, and a 4.5 m car ≈ 73 px long as labelled.
  The real camera drifted a little between frames; that drift is left in, as a
  real hover's attitude noise would be;
- the stills keep their own metadata (a second flight);
- vehicles (labels car, truck, bus, minibus; not cyclist) are mapped to
  ``luancai.heavy_vehicle`` by a taxonomy override in a temporary copy of
  ``configs/taxonomy.yaml``; only the ``vehicles`` model runs;
- a detection *is* a labelled vehicle when its box has IoU ≥ 0.5 with the
  label (greedy, by confidence);
- **the same vehicle in two frames**: the frames are registered (ORB + RANSAC
  homography, :mod:`pipeline.geo.matching`, ≥ 40 inlier tie points) and a
  label of one frame warped into the other with IoU ≥ 0.5 against a label
  there is the same (stationary) vehicle. Moving vehicles form no pair.

**Brighton** (``--brighton``): the real 18-frame flight with the shipped
models and taxonomy as they are (yaw check on, as ``hehu run`` runs it):
candidates, and the largest number of boxes filed in one candidate.

Figures: the share of detected labelled vehicles that share their issue with
another labelled vehicle of the same frame (goal < 3 %), and the share of
same-vehicle detection pairs across frames filed in one issue (goal > 90 %).
Detections are cached per frame (``--work``, default a temp folder) so a
second run, e.g. against another checkout via ``PYTHONPATH``, skips detection.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ROOT = Path(__file__).resolve().parents[2]
VEHICLES = ("car", "truck", "bus", "minibus")
SUBTYPE = "luancai.heavy_vehicle"
PIXEL_FIELDS = ("frame_sha256", "frame_path", "model", "model_sha256", "class_name", "subtype",
                "conf", "xyxy_px", "captured_at")  # fmt: skip


def _geotag_copies(src: Path, dst: Path) -> None:
    sys.path.append(str(ROOT))  # for tests.ingest.synth; pipeline comes from PYTHONPATH
    from tests.ingest.synth import _app1, dji_xmp_packet, exif_app1

    dst.mkdir(parents=True, exist_ok=True)
    for jpg in sorted(src.glob("DJI-00760-*.jpg")):
        n = int(jpg.stem.rsplit("-", 1)[1])
        exif = exif_app1(width=1920, height=1080, lat=53.9, lon=27.56, alt_m=300.0, make="DJI",
                         model="FC220-video", focal_mm=None, focal_35mm=24,
                         captured_at=f"2018-03-26T17:{n // 60:02d}:{n % 60:02d}")  # fmt: skip
        xmp = dji_xmp_packet(rel_alt_m=80.0, gimbal_yaw=0.0, gimbal_pitch=-90.0, gimbal_roll=0.0)
        body = jpg.read_bytes()
        (dst / jpg.name).write_bytes(
            b"\xff\xd8" + exif + _app1(b"http://ns.adobe.com/xap/1.0/\x00" + xmp) + body[2:]
        )
    stills = dst.parent / "stills"
    stills.mkdir(exist_ok=True)
    for name in ("DJI_0010.JPG", "DJI_0012.JPG"):
        shutil.copy(src / name, stills / name)


def _config(work: Path, models: tuple[str, ...] | None, overrides: dict[str, str],
            yaw_check: bool = False):  # fmt: skip
    import yaml

    from pipeline.config import load_config

    tax = yaml.safe_load((ROOT / "configs" / "taxonomy.yaml").read_text(encoding="utf-8"))
    tax["overrides"] = overrides
    path = work / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(tax, allow_unicode=True, sort_keys=False), encoding="utf-8")
    detect = {"taxonomy": str(path), "models_dir": str(ROOT / "models"), "models": models}
    return load_config(overrides={"detect": detect, "ingest": {"yaw_check": yaw_check}})


def _flight(folder: Path, config, work: Path):
    """Plan, pixel detections (cached) and placed detections of one folder."""
    from pipeline.records import GroundDetection
    from pipeline.run import (
        BatchResult,
        check_flight_yaw,
        detect_frames,
        place_on_ground,
        plan_flight,
    )

    plan = plan_flight(folder, config)
    cache = work / f"detections-{folder.name}.json"
    if not cache.exists():  # plain JSON: any hehu version reads it back
        dets = detect_frames(plan.frames, config).detections
        cache.write_text(json.dumps([d.to_dict() for d in dets]))
    rows = [{k: r[k] for k in PIXEL_FIELDS} for r in json.loads(cache.read_text())]
    dets = tuple(GroundDetection(**{**r, "xyxy_px": tuple(r["xyxy_px"])}) for r in rows)
    plan = check_flight_yaw(plan, config)
    return plan, place_on_ground(plan, BatchResult(dets, {}, (), len(plan.frames)))


def _push(plan, placed, url: str):
    from pipeline.ledger.db import make_engine, make_session_factory, upgrade
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight

    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    push_flight(session_factory=factory, flight=FlightRef(plan.key, plan.name),
                frames=[f.meta for f in plan.frames], detections=placed.detections)  # fmt: skip
    return factory


def _issues(factory) -> dict[tuple[str, tuple[int, ...]], str]:
    """(frame sha256, rounded box) → issue code, for every filed detection."""
    from sqlalchemy import select

    from pipeline.ledger.models import Detection, Evidence, Frame, Issue

    query = (
        select(Frame.sha256, Detection.x0_px, Detection.y0_px, Detection.x1_px, Detection.y1_px,
               Issue.code)
        .join(Detection, Detection.frame_id == Frame.id)
        .join(Evidence, Evidence.detection_id == Detection.id)
        .join(Issue, Issue.id == Evidence.issue_id)
    )  # fmt: skip
    with factory() as session:
        return {(sha, tuple(round(v) for v in box)): code
                for sha, *box, code in session.execute(query)}  # fmt: skip


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) IoU of xyxy boxes."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


def _labels(jpg: Path, w: int, h: int) -> np.ndarray:
    rows = [line.split() for line in jpg.with_suffix(".txt").read_text().splitlines() if line]
    boxes = [(float(cx) - float(bw) / 2, float(cy) - float(bh) / 2,
              float(cx) + float(bw) / 2, float(cy) + float(bh) / 2)
             for c, cx, cy, bw, bh in rows if int(c) < len(VEHICLES)]  # fmt: skip
    return np.array(boxes).reshape(-1, 4) * (w, h, w, h)


def _match(dets: list, labels: np.ndarray) -> dict[int, int]:
    """Detection index → label index (IoU ≥ 0.5, greedy by confidence)."""
    if not dets or not len(labels):
        return {}
    iou = _iou(np.array([d.xyxy_px for d in dets]), labels)
    out: dict[int, int] = {}
    for i in sorted(range(len(dets)), key=lambda i: -dets[i].conf):
        free = [j for j in np.argsort(-iou[i]) if iou[i, j] >= 0.5 and j not in out.values()]
        if free:
            out[i] = int(free[0])
    return out


def _same_vehicles(path_a: Path, path_b: Path, la: np.ndarray, lb: np.ndarray) -> set:
    import cv2

    from pipeline.geo.matching import tie_points

    ga = cv2.imread(str(path_a), cv2.IMREAD_GRAYSCALE)
    gb = cv2.imread(str(path_b), cv2.IMREAD_GRAYSCALE)
    ua, ub = tie_points(ga, gb)
    if len(ua) < 40 or not len(la) or not len(lb):
        return set()
    hom, _ = cv2.findHomography(ua, ub, cv2.RANSAC, 3.0)
    corners = la[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 4, 2).astype(np.float64)
    warped = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), hom).reshape(-1, 4, 2)
    boxes = np.concatenate([warped.min(axis=1), warped.max(axis=1)], axis=1)
    iou = _iou(boxes, lb)
    return {(i, int(iou[i].argmax())) for i in range(len(la)) if iou[i].max() >= 0.5}


def association(work: Path, url: str) -> dict:
    src = DATA / "aerial-cars"
    street = work / "street"
    if not street.exists():
        _geotag_copies(src, street)
    config = _config(work, ("vehicles",), {f"vehicles/{c}": SUBTYPE for c in VEHICLES})
    labelled, shared, pairs, linked, last = 0, 0, 0, 0, {}
    for folder in (street, work / "stills"):
        plan, placed = _flight(folder, config, work)
        issue_of = _issues(_push(plan, placed, url))
        frames = {f.meta.sha256: f.meta for f in plan.frames}
        key = {}  # (sha, label index) → issue code
        for sha, meta in frames.items():
            dets = [d for d in placed.detections if d.frame_sha256 == sha and d.subtype]
            match = _match(dets, _labels(src / Path(meta.path).name, meta.width_px,
                                         meta.height_px))  # fmt: skip
            for i, j in match.items():
                code = issue_of.get((sha, tuple(round(v) for v in dets[i].xyxy_px)))
                if code:
                    key[(sha, j)] = code
        per_issue_frame = Counter((sha, code) for (sha, _), code in key.items())
        labelled += len(key)
        shared += sum(per_issue_frame[(sha, code)] > 1 for (sha, _), code in key.items())
        last = issue_of  # the whole ledger so far: both flights after the second push
        for a, b in itertools.combinations(sorted(frames), 2):
            ma, mb = frames[a], frames[b]
            la = _labels(src / Path(ma.path).name, ma.width_px, ma.height_px)
            lb = _labels(src / Path(mb.path).name, mb.width_px, mb.height_px)
            for i, j in _same_vehicles(Path(ma.path), Path(mb.path), la, lb):
                if (a, i) in key and (b, j) in key:
                    pairs += 1
                    linked += key[(a, i)] == key[(b, j)]
    boxes = Counter(last.values())
    return {"labelled_detections": labelled, "same_frame_shared": shared / max(labelled, 1),
            "pairs": pairs, "pairs_linked": linked / max(pairs, 1), "issues": len(boxes),
            "max_boxes_in_one_issue": max(boxes.values(), default=0)}  # fmt: skip


def brighton(work: Path, url: str) -> dict:
    config = _config(work, None, {}, yaw_check=True)  # as `hehu run` does
    plan, placed = _flight(DATA / "brighton_beach", config, work)
    issue_of = _issues(_push(plan, placed, url))
    per_issue = Counter(issue_of.values())
    frames = Counter(code for (_, _), code in issue_of.items())
    return {"detections": len(placed.detections), "candidates": len(per_issue),
            "max_boxes_in_one_candidate": max(per_issue.values(), default=0),
            "frames_of_that_candidate": len({sha for (sha, _), c in issue_of.items()
                                             if c == per_issue.most_common(1)[0][0]})
            if per_issue else 0, "filed": sum(frames.values())}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brighton", action="store_true", help="Brighton's candidates instead")
    parser.add_argument("--work", type=Path, default=None, help="folder for copies and caches")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="hehu-assoc-"))
    work.mkdir(parents=True, exist_ok=True)
    db = tempfile.mkdtemp(prefix="hehu-assoc-db-")
    url = f"sqlite:///{db}/ledger.sqlite"
    figures = brighton(work, url) if args.brighton else association(work, url)
    import pipeline

    print(f"pipeline: {Path(pipeline.__file__).parent}")
    for name, value in figures.items():
        print(f"{name:28} {value:.3f}" if isinstance(value, float) else f"{name:28} {value}")


if __name__ == "__main__":
    main()
