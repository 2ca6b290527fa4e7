"""``hehu detect`` and the subcommand wiring."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from pipeline.cli import build_parser, main
from tests.detect.helpers import UNTRAINED


def test_detect_and_eval_are_registered() -> None:
    help_text = build_parser().format_help()
    assert "detect" in help_text and "eval" in help_text


def test_hehu_detect_json_sets_bad_files_aside(models_dir: Path, tmp_path: Path, capsys) -> None:
    good = tmp_path / "frame.jpg"
    cv2.imwrite(str(good), np.random.default_rng(0).integers(0, 256, (500, 900, 3), dtype=np.uint8))
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(good.read_bytes()[:1000])
    argv = ["detect", str(good), str(bad), "--model", UNTRAINED, "--models-dir", str(models_dir)]
    argv.append("--json")
    assert main(argv) == 1  # one file set aside
    doc = json.loads(capsys.readouterr().out)
    assert doc["models"] == [UNTRAINED]
    (image,) = doc["images"]
    assert (image["width_px"], image["height_px"], image["geotagged"]) == (900, 500, False)
    assert image["gsd_cm_per_px"] is None
    assert image["detections"] == []  # untrained: nothing reaches conf 0.25
    assert doc["set_aside"][0]["path"] == str(bad) and "truncated" in doc["set_aside"][0]["reason"]


def test_hehu_detect_text(models_dir: Path, tmp_path: Path, capsys) -> None:
    good = tmp_path / "frame.png"
    cv2.imwrite(str(good), np.zeros((300, 400, 3), np.uint8))
    assert main(["detect", str(good), "--model", UNTRAINED, "--models-dir", str(models_dir)]) == 0
    out = capsys.readouterr().out
    assert "400×300" in out and "native scale" in out and "no detections" in out


def test_hehu_detect_skips_visible_models_on_a_thermal_frame(
    models_dir: Path, tmp_path: Path, capsys
) -> None:
    from tests.ingest.synth import write_jpeg

    thermal = write_jpeg(
        tmp_path / "DJI_20261203101500_0001_T.JPG", 640, 512, model="M30T",
        xmp_extra={"ImageSource": "InfraredCamera"},
    )  # fmt: skip
    argv = ["detect", str(thermal), "--model", UNTRAINED, "--models-dir", str(models_dir)]
    assert main([*argv, "--json"]) == 0
    (image,) = json.loads(capsys.readouterr().out)["images"]
    assert image["band"] == "thermal" and "InfraredCamera" in image["band_why"]
    status = image["models"][UNTRAINED]
    assert "thermal frame" in status["skipped"] and status["tiles_run"] == 0
    assert main(argv) == 0
    assert f"{UNTRAINED:<13} skipped: thermal frame" in capsys.readouterr().out
