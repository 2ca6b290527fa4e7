"""Recheck verdicts on real "two dates" recorded in a ledger and read back.

The pairs and truths of :mod:`bench_change` (``../shared/data/aerial-cars``: consecutive
frames of two DJI videos, every vehicle boxed; an earlier box whose best IoU in the later
frame is under 0.1 is truly gone, at least 0.5 truly still present). Each pair's earlier
frame is pushed as a flight whose decided vehicle boxes are confirmed issues (placed
100 m apart: the frames carry no geotag, so each box is an issue of its own), the later
frame as a second flight. Each box is rechecked by appearance
(:func:`pipeline.change.recheck.recheck_box`), its watermarked before/after picture
written, and the pair's verdicts recorded in one transaction
(:func:`pipeline.ledger.rechecks.record_rechecks`). The figures are read back from the
ledger: rows, verdicts against the truth, residuals, the pictures' sha256 against
their files, and the time recording takes.

    YOLO_OFFLINE=1 python bench/change/bench_recheck_ledger.py

On 2026-12-04 (2 shared CPU cores), 28 pairs: 385 verdicts recorded (385 audit entries,
385 pictures matching their recorded sha256), read back 327 right, 0.937 of the 349
decided (true still present 186: 166 said so, 12 gone, 8 cannot tell; true gone 199:
161 gone, 10 still present, 28 cannot tell) -- the figures :mod:`bench_change` computes
without a ledger; residuals median 0.93 px, max 1.02; recording 0.40 s for the 28
transactions (median 12 ms), 7.7 s for the whole run.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from bench_change import CAR_LENGTH_M, DATA, labels, truth_of, video_pairs  # noqa: E402

SUBTYPE = "luandui.floating_garbage"  # any 四乱 subtype: the ledger only needs one


def frame_meta(path: Path, hw: tuple[int, int]):
    from pipeline.records import FrameMeta

    data = path.read_bytes()
    return FrameMeta(path=str(path), sha256=hashlib.sha256(data).hexdigest(),
                     size_bytes=len(data), media_type="image/jpeg", width_px=hw[1],
                     height_px=hw[0])  # fmt: skip


def push_pair(factory, k: int, pa: Path, pb: Path, boxes, hw) -> list[str]:
    """The earlier flight with one confirmed issue per box, and the later flight; codes."""
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.models import Issue
    from pipeline.ledger.push import push_flight
    from pipeline.ledger.workflow import transition
    from pipeline.records import GroundDetection

    old = frame_meta(pa, hw)
    dets = [GroundDetection(frame_sha256=old.sha256, frame_path=str(pa), model="labels",
                            model_sha256="0" * 64, class_name="vehicle", subtype=SUBTYPE,
                            conf=0.9, xyxy_px=tuple(float(v) for v in box),
                            lat_deg=20.0 + 0.001 * k, lon_deg=100.0 + 0.001 * j)
            for j, box in enumerate(boxes)]  # fmt: skip
    pushed = push_flight(session_factory=factory, flight=FlightRef(f"before-{k}", pa.stem),
                         frames=[old], detections=dets)  # fmt: skip
    push_flight(session_factory=factory, flight=FlightRef(f"after-{k}", pb.stem),
                frames=[frame_meta(pb, hw)], detections=[])  # fmt: skip
    with factory.begin() as session:
        for code in pushed.created:
            issue = session.query(Issue).filter(Issue.code == code).one()
            transition(session=session, code=code, to="confirmed", expected_version=issue.version,
                       actor="bench")  # fmt: skip
    with factory() as session:  # codes in box order (positions: one issue per box)
        rows = session.query(Issue.code, Issue.lon_deg).filter(Issue.code.in_(pushed.created))
        return [c for c, _ in sorted(rows, key=lambda r: r[1])]


def registered_pair(pa: Path, pb: Path):
    """``(old, new, hw, box_old, box_new, gsd, reg)``: both frames (BGR), the later one's
    ``(height, width)``, their vehicle boxes, the cars' GSD (cm/px) and the registration."""
    import cv2

    from pipeline.change.register import register_pair

    old, new = cv2.imread(str(pa)), cv2.imread(str(pb))
    hw = new.shape[:2]
    box_old, box_new = labels(pa, old.shape[:2]), labels(pb, hw)
    gsd = 100.0 * CAR_LENGTH_M / float(np.median(np.max(box_new[:, 2:] - box_new[:, :2], 1)))
    gray = [cv2.cvtColor(x, cv2.COLOR_BGR2GRAY) for x in (new, old)]
    return old, new, hw, box_old, box_new, gsd, register_pair(*gray, gsd_cm_per_px=gsd)


def verdicts_of(pa, pb, old, new, reg, codes, boxes, out_dir):
    """One :class:`VerdictRecord` per box, with its watermarked picture written."""
    import cv2

    from pipeline.change.recheck import before_after, recheck_box
    from pipeline.evidence_crops import watermark_text, with_watermark
    from pipeline.fileio import write_atomic
    from pipeline.ledger.rechecks import VerdictRecord, verdict_code

    records = []
    for code, box in zip(codes, boxes, strict=True):
        v = recheck_box(old, new, reg, tuple(box))
        text = watermark_text(None, None, None, pb.stem, code) + f" | recheck of {pa.stem}"
        picture = with_watermark(before_after(old, new, reg, tuple(box)), text)
        data = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
        path = out_dir / f"{code}.jpg"
        write_atomic(path, data)
        records.append(VerdictRecord(code, verdict_code(v.verdict), v.reason,
                                     residual_px=reg.residual_px, residual_m=reg.residual_m,
                                     meets_rule=reg.meets_rule, zncc=v.zncc, coverage=v.coverage,
                                     evidence_path=str(path),
                                     evidence_sha256=hashlib.sha256(data).hexdigest()))  # fmt: skip
    return records


def run(args) -> None:

    from pipeline.ledger.db import make_engine, make_session_factory, upgrade
    from pipeline.ledger.rechecks import record_rechecks

    work = Path(tempfile.mkdtemp(prefix="recheck-ledger-"))
    engine = make_engine(f"sqlite:///{work / 'ledger.sqlite'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    truth: dict[str, str] = {}
    record_s: list[float] = []
    pairs = video_pairs(DATA / "aerial-cars", args.max_gap)
    for k, (pa, pb) in enumerate(pairs):
        old, new, hw, box_old, box_new, _, reg = registered_pair(pa, pb)
        if not reg.ok:
            continue
        decided = truth_of(box_old, box_new, reg, hw)[2]
        boxes = [b for b, _ in decided]
        codes = push_pair(factory, k, pa, pb, boxes, hw)
        truth.update(
            {c: want.replace(" ", "_") for c, (_, want) in zip(codes, decided, strict=True)}
        )
        records = verdicts_of(pa, pb, old, new, reg, codes, boxes, work / "pictures")
        t = time.perf_counter()
        record_rechecks(session_factory=factory, flight_key=f"after-{k}", verdicts=records)
        record_s.append(time.perf_counter() - t)
    report(factory, truth, record_s, len(pairs))
    engine.dispose()
    print(f"ledger and pictures: {work}")


def report(factory, truth: dict[str, str], record_s: list[float], pairs: int) -> None:
    from pipeline.ledger.models import AuditLog, Issue, Recheck

    with factory() as session:
        rows = session.query(Issue.code, Recheck).join(Recheck, Recheck.issue_id == Issue.id).all()
        audited = session.query(AuditLog).filter(AuditLog.field == "recheck").count()
    got = Counter((truth[c], r.verdict) for c, r in rows)
    decided = sum(n for (_, v), n in got.items() if v != "cannot_tell")
    right = sum(n for (w, v), n in got.items() if w == v)
    intact = sum(hashlib.sha256(Path(r.evidence_path).read_bytes()).hexdigest()
                 == r.evidence_sha256 for _, r in rows)  # fmt: skip
    residuals = [r.residual_px for _, r in rows]
    print(f"pairs {pairs}, verdicts recorded {len(rows)} (audit entries {audited}), "
          f"pictures matching their sha256 {intact}")  # fmt: skip
    print(f"right {right} of {len(rows)}; of those decided {right}/{decided} = "
          f"{right / max(decided, 1):.3f}; cannot tell {len(rows) - decided}")  # fmt: skip
    for want in ("still_present", "gone"):
        n = sum(v for (w, _), v in got.items() if w == want)
        print(f"  true {want}: {n}, said " + ", ".join(
            f"{v} {m}" for (w, v), m in sorted(got.items()) if w == want))  # fmt: skip
    print(f"residual px median {np.median(residuals):.2f}, max {max(residuals):.2f}")
    print(f"recording: {sum(record_s):.2f} s for {len(record_s)} transactions "
          f"(median {1000 * np.median(record_s):.0f} ms)")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--max-gap", type=int, default=10, help="frames apart at most in a pair")
    args = p.parse_args()
    if not (DATA / "aerial-cars").is_dir():
        sys.exit(f"no {DATA / 'aerial-cars'}: this benchmark needs ../shared/data")
    run(args)


if __name__ == "__main__":
    main()
