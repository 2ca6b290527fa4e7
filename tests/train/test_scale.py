"""Ground resolution of a source from the size of its cars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import BadInputError
from pipeline.train.datasets import LabelledImage
from pipeline.train.scale import SourceScale, estimate_scales, resize_factor


def frame(source: str, boxes: list[list[float]], classes: list[int]) -> LabelledImage:
    return LabelledImage(
        Path(f"/x/{source}.jpg"),
        1000,
        1000,
        np.array(boxes, dtype=np.float32).reshape(-1, 4),
        np.array(classes, dtype=np.int64),
        ("car", "truck"),
        source,
    )


def test_median_car_length_gives_cm_per_px() -> None:
    # cars 90 px long (either way round) at 4.5 m: 5 cm/px; the truck is ignored
    recs = [
        frame("v", [[0, 0, 90, 40], [100, 100, 140, 190], [0, 0, 300, 80]], [0, 0, 1]),
        frame("v", [[0, 0, 88, 30]], [0]),
    ]
    (scale,) = estimate_scales(recs, reference_len_m={"car": 4.5}).values()
    assert scale.method == "objects" and scale.n_objects == 3
    assert scale.gsd_cm_per_px == pytest.approx(5.0)


def test_given_value_wins_and_native_when_no_reference() -> None:
    recs = [frame("a", [[0, 0, 90, 40]], [0]), frame("b", [], [])]
    scales = estimate_scales(recs, reference_len_m={"car": 4.5}, given_cm_per_px={"b": 3.2})
    assert scales["b"] == SourceScale("b", 3.2, "given", 0, None)
    native = estimate_scales(recs, reference_len_m={})
    assert all(s.gsd_cm_per_px is None and s.method == "native" for s in native.values())


def test_source_without_reference_objects_is_an_error() -> None:
    with pytest.raises(BadInputError, match="source_gsd_cm_per_px"):
        estimate_scales([frame("b", [[0, 0, 50, 50]], [1])], reference_len_m={"car": 4.5})


@pytest.mark.parametrize(
    ("source_gsd", "target", "factor"),
    [(12.0, 6.0, 2.0), (3.0, 6.0, 0.5), (6.0, 6.0, 1.0), (None, 6.0, 1.0), (5.0, None, 1.0)],
)
def test_resize_factor(source_gsd, target, factor) -> None:
    assert resize_factor(SourceScale("s", source_gsd, "given"), target) == pytest.approx(factor)
