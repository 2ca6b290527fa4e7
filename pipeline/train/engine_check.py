"""Cross-check: the held-out frames, whole, through the tiled inference engine (``hehu eval``).

The card's ``metrics.held_out`` come from ultralytics ``val`` on tiles;
this runs :func:`pipeline.detect.evaluate.evaluate_folder` on the full
held-out frames, one source at a time at that source's ground resolution, as
the engine will see real frames (tiling, merging across tile borders, the
card's thresholds). Its figures go to ``metrics.held_out_engine``.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from pipeline.train.chips import safe_name
from pipeline.train.prepare import Prepared

log = logging.getLogger(__name__)


def engine_check(model_dir: Path, prepared: Prepared, work_dir: Path) -> dict[str, Any]:
    """``hehu eval`` figures per held-out source, from the exported ONNX model."""
    from pipeline.detect.engine import load_model
    from pipeline.detect.evaluate import EVAL_CONF, evaluate_folder
    from pipeline.detect.yolo_data import open_folder

    model = load_model(model_dir.name, models_dir=model_dir.parent, backend="onnx", conf=EVAL_CONF)
    by_source: dict[str, list] = defaultdict(list)
    for record in prepared.split.held_out:
        by_source[record.source].append(record)
    out = {}
    for source, records in sorted(by_source.items()):
        folder = _frames_folder(work_dir / safe_name(source), records, prepared.class_names)
        gsd = prepared.scales[source].gsd_cm_per_px
        result = evaluate_folder(model, open_folder(folder), gsd_cm_per_px=gsd)
        out[source] = {"frames": len(records), "source_gsd_cm_per_px": gsd, **result.to_dict()}
        log.info("engine check %s: mAP50 %.3f", source, result.map50)
    return out


def _frames_folder(folder: Path, records: list, class_names: tuple[str, ...]) -> Path:
    """A YOLO folder of links to the frames, with labels written from the records."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "classes.txt").write_text("\n".join(class_names) + "\n", encoding="utf-8")
    for r in records:
        link = folder / r.image_path.name
        try:
            os.symlink(r.image_path.resolve(), link)
        except OSError:
            shutil.copyfile(r.image_path, link)
        w, h = r.width_px, r.height_px
        lines = [
            f"{int(c)} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} {(x1 - x0) / w:.6f} "
            f"{(y1 - y0) / h:.6f}"
            for (x0, y0, x1, y1), c in zip(r.xyxy_px, r.class_ids, strict=True)
        ]
        link.with_suffix(".txt").write_text(
            "\n".join(lines) + ("\n" if lines else ""), encoding="utf-8"
        )
    return folder
