"""River-debris with and without the water gate: false boxes on land, time a frame.

For each folder of frames, runs the shipped ``river-debris`` model twice on every
frame, in turns: as its card says (``surface: water``: land tiles skipped, boxes
off water dropped) and with the gate switched off (``surface: any``). Prints boxes
a frame and seconds a frame for both, and the ratio. Frames are geotagged or not;
native scale either way, as the card asks.

    .venv/bin/python bench/detect/bench_water_gate.py ../shared/data/aerial-cars/DJI-00760-*.jpg \\
        --group land ../shared/data/brighton_beach/*.JPG

Each positional argument is a frame; ``--group NAME`` starts a new group.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from pipeline.detect.engine import decode_frame, detect_frame, load_model


def groups(argv: list[str]) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    name = "frames"
    it = iter(argv)
    for arg in it:
        if arg == "--group":
            name = next(it)
            continue
        out.setdefault(name, []).append(Path(arg))
    return out


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    gated = load_model("river-debris", models_dir=Path("models"))
    card = gated.card.model_copy(update={"surface": "any"})
    card._dir = gated.card.dir
    ungated = dataclasses.replace(gated, card=card, water=None)
    print(f"{'group':<22}{'frames':>7}{'boxes/frame gated':>19}{'ungated':>9}"
          f"{'s/frame gated':>15}{'ungated':>9}{'ratio':>7}")  # fmt: skip
    for name, paths in groups(sys.argv[1:]).items():
        boxes = {"gated": 0, "ungated": 0}
        secs = {"gated": 0.0, "ungated": 0.0}
        for path in paths:
            image = decode_frame(path)
            for label, model in (("gated", gated), ("ungated", ungated)):
                start = time.perf_counter()
                result = detect_frame(image, [model])["river-debris"]
                secs[label] += time.perf_counter() - start
                boxes[label] += len(result.detections)
        n = len(paths)
        print(f"{name:<22}{n:>7}{boxes['gated'] / n:>19.2f}{boxes['ungated'] / n:>9.2f}"
              f"{secs['gated'] / n:>15.2f}{secs['ungated'] / n:>9.2f}"
              f"{secs['gated'] / max(secs['ungated'], 1e-9):>7.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
