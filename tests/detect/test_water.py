"""The water estimate and how it gates water-only models (card ``surface: water``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from pipeline.detect.engine import LoadedModel, detect_frame
from pipeline.detect.water import (
    CELL_PX,
    N_FEATURES,
    WORK_LONG_PX,
    WaterMap,
    WaterMLP,
    WaterModelError,
    cell_features,
    estimate_water,
    load_water_model,
)
from pipeline.errors import ConfigError
from pipeline.train.water import fit_mlp, polygon_share, recipe_licence, write_model
from tests.detect.helpers import licence_dict, make_card, paint_detector

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
WATER_BGR, LAND_BGR = (110, 70, 30), (30, 110, 40)


def scene(hw: tuple[int, int], water_cols: slice, boxes=(), seed: int = 0) -> np.ndarray:
    """Textured green land with a smooth blue band of water, white boxes on top."""
    rng = np.random.default_rng(seed)
    frame = np.clip(np.array(LAND_BGR) + rng.normal(0, 12, (*hw, 3)), 0, 255).astype(np.uint8)
    water = np.array(WATER_BGR) + rng.normal(0, 2, (hw[0], hw[1], 3))
    frame[:, water_cols] = np.clip(water[:, water_cols], 0, 255).astype(np.uint8)
    for x1, y1, x2, y2 in boxes:
        frame[y1:y2, x1:x2] = 255
    return frame


def blue_is_water(features: np.ndarray) -> np.ndarray:
    """A stand-in classifier: Lab b* well below neutral is water."""
    return (features[..., 2] < 0.45).astype(np.float32)


@pytest.mark.parametrize("hw", [(2250, 4000), (1024, 1280), (4000, 3000), (20, 30), (5, 900)])
def test_cell_features_cover_any_frame(hw: tuple[int, int]) -> None:
    feats = cell_features(np.zeros((*hw, 3), np.uint8))
    rows, cols, n = feats.shape
    assert n == N_FEATURES and rows >= 1 and cols >= 1
    assert max(rows, cols) <= WORK_LONG_PX // CELL_PX
    assert np.isfinite(feats).all()


def test_region_fraction_reads_the_cells_under_a_box() -> None:
    prob = np.zeros((4, 8), np.float32)
    prob[:, 4:] = 1.0  # right half water
    wm = WaterMap(prob, (400, 800))
    boxes = np.array([[10, 10, 90, 90], [700, 300, 790, 390], [350, 100, 450, 200]])
    np.testing.assert_allclose(wm.region_fraction(boxes), [0.0, 1.0, 0.5])
    # a one-cell margin reaches the water from the cell next to it
    assert wm.region_fraction(np.array([[310, 110, 390, 190]]), margin_cells=1)[0] > 0
    assert wm.fraction == 0.5


def test_mlp_checks_its_shapes_and_round_trips(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shape"):
        WaterMLP(np.zeros(3), np.ones(3), (np.zeros((3, 1)),), (np.zeros(1),))
    with pytest.raises(ValueError, match="one output"):
        WaterMLP(np.zeros(N_FEATURES), np.ones(N_FEATURES),
                 (np.zeros((N_FEATURES, 2)),), (np.zeros(2),))  # fmt: skip
    ones = (np.ones((N_FEATURES, 1), np.float32),)
    model = WaterMLP(np.zeros(N_FEATURES, np.float32), np.ones(N_FEATURES, np.float32),
                     ones, (np.zeros(1, np.float32),))  # fmt: skip
    model.save(tmp_path / "w.npz")
    again = WaterMLP.load(tmp_path / "w.npz")
    x = np.random.default_rng(0).normal(size=(5, N_FEATURES)).astype(np.float32)
    np.testing.assert_allclose(model(x), again(x))


def test_trained_classifier_separates_smooth_water_from_textured_land(tmp_path: Path) -> None:
    frames = [scene((600, 900), slice(0, 450), seed=s) for s in range(3)]
    feats, labels = [], []
    for frame in frames:
        f = cell_features(frame)
        y = np.zeros(f.shape[:2], np.float32)
        y[:, : f.shape[1] // 2] = 1.0
        feats.append(f.reshape(-1, N_FEATURES))
        labels.append(y.ravel())
    x, y = np.concatenate(feats), np.concatenate(labels)
    model = fit_mlp(x, y, np.zeros(len(y), int), epochs=30)
    test = estimate_water(scene((700, 1000), slice(500, 1000), seed=9), model)
    cols = test.water.shape[1]
    assert test.water[:, : cols // 2 - 1].mean() < 0.05
    assert test.water[:, cols // 2 + 1 :].mean() > 0.95
    # written with a card, loaded back with its hash checked
    write_model(model, tmp_path / "water", training={}, metrics={}, licence=licence_dict())
    loaded = load_water_model(tmp_path)
    np.testing.assert_allclose(loaded(x[:10]), model(x[:10]), rtol=1e-5)
    card_path = tmp_path / "water" / "card.yaml"
    card = yaml.safe_load(card_path.read_text())
    card["licence"].pop("data")
    card_path.write_text(yaml.safe_dump(card), encoding="utf-8")
    with pytest.raises(WaterModelError, match=rf"{card_path} lacks licence.data: "):
        load_water_model(tmp_path)
    write_model(model, tmp_path / "water", training={}, metrics={}, licence=licence_dict())
    (tmp_path / "water" / "water.npz").write_bytes(b"tampered")
    with pytest.raises(WaterModelError, match="sha256"):
        load_water_model(tmp_path)
    shutil.rmtree(tmp_path / "water")
    with pytest.raises(WaterModelError, match="hehu water train"):
        load_water_model(tmp_path)


def test_polygon_share_rasterises_fractions() -> None:
    share = polygon_share((4, 4), [[(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)]])
    np.testing.assert_allclose(share[:, :2], 0.0)
    np.testing.assert_allclose(share[:, 2:], 1.0, atol=0.02)


def water_model(name: str = "debris", tile_px: int = 256) -> LoadedModel:
    card = make_card(
        name=name, tile={"size_px": tile_px, "overlap_frac": 0.0}, input_size_px=tile_px,
        surface="water",
    )  # fmt: skip
    return LoadedModel(card, paint_detector(), batch_size=4, class_map={}, water=blue_is_water)


def test_water_only_model_keeps_boxes_on_water_and_skips_land_tiles() -> None:
    on_water, on_land = (800, 300, 840, 340), (100, 300, 140, 340)
    frame = scene((768, 1024), slice(512, 1024), boxes=[on_water, on_land])
    result = detect_frame(frame, [water_model()])["debris"]
    assert result.skipped is None
    assert len(result.detections) == 1
    np.testing.assert_allclose(result.detections.xyxy_px[0], on_water, atol=2)
    assert result.dropped_on_land == 0  # the land box's tile never ran
    assert result.tiles_run < len(result.plan)
    assert 0.4 < result.water_fraction < 0.6


def test_box_off_water_in_a_tile_that_reaches_water_is_dropped() -> None:
    near_shore_land = (300, 300, 340, 340)  # land, but in a tile that also holds water
    frame = scene((512, 1024), slice(512, 1024), boxes=[near_shore_land, (900, 100, 940, 140)])
    model = water_model(tile_px=1024)
    result = detect_frame(frame, [model])["debris"]
    assert len(result.detections) == 1 and result.dropped_on_land == 1


def test_water_only_model_skips_a_frame_without_water() -> None:
    frame = scene((512, 512), slice(0, 0), boxes=[(100, 100, 140, 140)])
    result = detect_frame(frame, [water_model()])["debris"]
    assert result.skipped == "no water in the frame"
    assert len(result.detections) == 0 and result.water_fraction == 0.0


def test_models_skip_frames_of_another_band() -> None:
    frame = np.zeros((256, 256, 3), np.uint8)
    frame[100:140, 100:140] = 255
    tile = {"size_px": 256, "overlap_frac": 0.0}
    visible = LoadedModel(make_card(name="rgb", tile=tile), paint_detector(), class_map={})
    thermal = LoadedModel(
        make_card(name="ir", band="thermal", tile=tile), paint_detector(), class_map={}
    )
    results = detect_frame(frame, [visible, thermal], band="thermal", band_why="ImageSource=IR")
    assert "thermal frame (ImageSource=IR)" in results["rgb"].skipped
    assert "visible frames" in results["rgb"].skipped and len(results["rgb"].detections) == 0
    assert results["ir"].skipped is None and len(results["ir"].detections) == 1


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data")
@pytest.mark.parametrize(
    ("image", "low", "high"),
    [
        ("brighton_beach/DJI_0028.JPG", 0.0, 0.02),  # lawn, roads, cars: no water
        ("brighton_beach/DJI_0030.JPG", 0.08, 0.30),  # the lake east of the rocks (≈ 25 %)
        ("aerial-cars/DJI-00760-00001.jpg", 0.0, 0.05),  # a Minsk crossroads
    ],
)
def test_shipped_water_model_on_real_frames(image: str, low: float, high: float) -> None:
    model = load_water_model(REPO / "models")
    frame = cv2.imread(str(SHARED / image), cv2.IMREAD_REDUCED_COLOR_2)
    assert low <= estimate_water(frame, model).fraction <= high


def test_shore_model_keeps_structures_that_touch_water() -> None:
    dock, on_land = (470, 300, 560, 340), (60, 300, 120, 340)  # the dock reaches into the water
    frame = scene((512, 1024), slice(512, 1024), boxes=[dock, on_land])
    card = make_card(name="shore", tile={"size_px": 1024, "overlap_frac": 0.0},
                     input_size_px=1024, surface="shore")  # fmt: skip
    model = LoadedModel(card, paint_detector(), batch_size=4, class_map={}, water=blue_is_water)
    result = detect_frame(frame, [model])["shore"]
    assert len(result.detections) == 1 and result.dropped_on_land == 1
    np.testing.assert_allclose(result.detections.xyxy_px[0], dock, atol=2)
    # a water-only model drops the same dock: most of it is on land
    assert len(detect_frame(frame, [water_model(tile_px=1024)])["debris"].detections) == 0


def test_small_water_patches_count_as_land() -> None:
    from pipeline.detect.water import MIN_WATER_CELLS, water_cells

    prob = np.zeros((20, 30), np.float32)
    prob[2:5, 2:5] = 0.9  # 9 cells: a shadow on grass
    prob[10:18, 5:25] = 0.9  # a lake
    prob[0, 29] = prob[1, 28] = 0.9  # two cells touching diagonally: still small
    got = water_cells(prob)
    assert MIN_WATER_CELLS > 9
    assert not got[2:5, 2:5].any() and not got[0, 29] and got[10:18, 5:25].all()
    wm = WaterMap(prob, (600, 900))
    assert wm.fraction == pytest.approx(160 / 600)
    assert wm.region_fraction(np.array([[60, 60, 150, 150]]))[0] == 0.0


def test_water_recipe_needs_a_licence_before_training(tmp_path: Path) -> None:
    recipe = tmp_path / "train.yaml"
    recipe.write_text("sources: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{recipe} has no licence block"):
        recipe_licence(recipe)
    recipe.write_text(
        "sources: []\nlicence: {weights: AGPL-3.0-only, data: [{name: d, licence: MIT}]}\n"
    )
    assert recipe_licence(recipe)["initial_weights"] is None
