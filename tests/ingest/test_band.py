"""A frame's band (visible or thermal): XMP ImageSource, DJI file names, camera models."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest.band import frame_band
from pipeline.ingest.scan import read_frame
from pipeline.records import DjiXmp, FrameMeta
from tests.ingest.synth import write_jpeg


def meta(path: str = "f/DJI_0001.JPG", w: int = 4000, h: int = 3000, **kw) -> FrameMeta:
    source = kw.pop("source", None)
    xmp = DjiXmp(image_source=source) if source else None
    return FrameMeta(path, "0" * 64, 1, "image/jpeg", w, h, xmp=xmp, **kw)


@pytest.mark.parametrize(
    ("frame", "band"),
    [
        (meta(source="InfraredCamera", w=640, h=512, model="M30T"), "thermal"),
        (meta(source="WideCamera", model="M30T"), "visible"),
        (meta(source="ZoomCamera", model="ZH20T"), "visible"),
        # ImageSource wins over the size of a thermal core
        (meta(source="VisibleCamera", w=640, h=512), "visible"),
        (meta("f/DJI_20240101120000_0001_T.JPG", 640, 512), "thermal"),
        (meta("f/DJI_20240101120000_0001_T.JPG", 1280, 1024), "thermal"),
        # a _T name at a visible size is not enough
        (meta("f/DJI_20240101120000_0001_T.JPG", 4000, 3000), "visible"),
        (meta("f/DJI_20240101120000_0001_W.JPG", 4000, 3000, model="M30T"), "visible"),
        (meta(w=640, h=512, model="XT2"), "thermal"),
        (meta(w=640, h=512, model="ZH20T"), "thermal"),
        (meta(w=512, h=640, model="M3T"), "thermal"),  # portrait
        (meta(w=336, h=256, model="FLIR Vue Pro R"), "thermal"),
        (meta(w=640, h=512, model="FC300S"), "visible"),  # a small visible frame
        (meta(model="FC300S"), "visible"),
        (meta(), "visible"),
    ],
)
def test_frame_band(frame: FrameMeta, band: str) -> None:
    assert frame_band(frame).band == band


def test_band_says_why() -> None:
    assert "ImageSource=InfraredCamera" in frame_band(meta(source="InfraredCamera")).why
    assert "_T" in frame_band(meta("f/X_0001_T.JPG", 640, 512)).why


def test_image_source_read_from_a_real_file(tmp_path: Path) -> None:
    path = write_jpeg(
        tmp_path / "DJI_0001_T.JPG", 64, 48, xmp_extra={"ImageSource": "InfraredCamera"}
    )
    frame = read_frame(path, path.read_bytes())
    assert frame.xmp is not None and frame.xmp.image_source == "InfraredCamera"
    assert frame_band(frame).band == "thermal"
