"""``hehu detect`` and the subcommand wiring."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from pipeline.cli import build_parser, main

from .conftest import UNTRAINED


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
