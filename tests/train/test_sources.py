"""Source keys from file names, refinement (size, duplicates) and the split by whole sources."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import BadInputError
from pipeline.train.datasets import LabelledImage, read_yolo_dir
from pipeline.train.sources import (
    apply_source_patterns,
    assign_sources,
    source_key,
    split_by_source,
)
from tests.train.synth import make_yolo_dataset, write_frame


@pytest.mark.parametrize(
    ("relpath", "key"),
    [
        ("DJI_0005-0018.jpg", "DJI_0005"),
        ("DJI-00760-00001.jpg", "DJI-00760"),
        ("DJI_0010.JPG", "DJI_stills"),
        ("DJI_0012.JPG", "DJI_stills"),
        ("MunichStreet02-MOS74.png", "MunichStreet02"),
        ("MOS74.png", "MOS"),
        ("MOS155.png", "MOS"),
        ("Grogol_Location_1_2018-04-30_14-45-00-05_cam6.jpg", "Location_1"),
        ("Grogol_Location_2_2018-05-0812-00-00-05_cam2.jpg", "Location_2"),
        ("flight_a/DJI_0001.JPG", "flight_a/DJI_stills"),
        ("2024-05-01/reach3/IMG_0042.jpg", "2024-05-01/reach3"),
        ("images/train/river_0012.jpg", "river"),
        ("BLOCK_A-17.png", "BLOCK_A"),
    ],
)
def test_source_key(relpath: str, key: str) -> None:
    root = Path("/data/set")
    assert source_key(root / relpath, root) == key


def records(sources_and_counts: dict[str, int]) -> list[LabelledImage]:
    out = []
    for source, n in sources_and_counts.items():
        for k in range(n):
            out.append(
                LabelledImage(
                    Path(f"/x/{source}_{k:03d}.jpg"),
                    64,
                    64,
                    np.zeros((0, 4)),
                    np.zeros(0, dtype=np.int64),
                    ("car",),
                    source,
                )
            )
    return out


@pytest.mark.parametrize("seed", range(5))
def test_split_never_puts_one_source_on_both_sides(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = {f"s{i}": int(rng.integers(1, 30)) for i in range(int(rng.integers(2, 9)))}
    split = split_by_source(records(counts), val_frac=0.2)
    train_side = set(split.sources("train")) | set(split.sources("val"))
    assert not train_side & set(split.sources("held_out"))
    assert split.held_out and split.train
    assert len(split.train) + len(split.val) + len(split.held_out) == sum(counts.values())


def test_named_hold_out_and_val_block() -> None:
    split = split_by_source(records({"a": 10, "b": 20, "c": 3}), held_out=["a"], val_frac=0.2)
    assert split.sources("held_out") == ["a"]
    assert len(split.held_out) == 10
    # val: the last 20 % of b (a block at the end), none of c (too few frames)
    assert [r.image_path.name for r in split.val] == [f"b_{k:03d}.jpg" for k in range(16, 20)]
    assert {r.source for r in split.train} == {"b", "c"}


def test_auto_hold_out_takes_smallest_sources_first() -> None:
    split = split_by_source(records({"big": 50, "small": 5, "mid": 12}), held_out=None)
    # 20 % of 67 frames is 13.4: small (5) is not enough, small + mid (17) is
    assert split.sources("held_out") == ["mid", "small"]


@pytest.mark.parametrize(
    ("counts", "held_out", "expected"),
    [
        ({"a": 5}, None, "all 5 frames are one source"),
        ({"a": 5, "b": 5}, ["zzz"], "not in the data"),
        ({"a": 5, "b": 5}, ["a", "b"], "leave at least one"),
    ],
)
def test_split_errors(counts: dict, held_out, expected: str) -> None:
    with pytest.raises(BadInputError, match=expected):
        split_by_source(records(counts), held_out=held_out)


def test_assign_sources_splits_sizes_drops_copies_and_merges_near_copies(tmp_path: Path) -> None:
    root = make_yolo_dataset(
        tmp_path / "d",
        {
            "MOS74.png": (96, 64, [(0, [5, 5, 20, 20])]),
            "MOS75.png": (96, 64, [(0, [6, 5, 21, 20])]),
            "MOS155.png": (128, 48, [(0, [5, 5, 20, 20])]),
            "DJI_0001-0001.jpg": (80, 60, [(0, [10, 10, 30, 30])]),
        },
    )
    shutil.copyfile(root / "MOS74.png", root / "copy_of_74.png")  # same bytes, another name
    shutil.copyfile(root / "MOS74.txt", root / "copy_of_74.txt")
    # the same picture under another video's name, re-encoded: a near copy across sources
    import cv2

    cv2.imwrite(
        str(root / "DJI_0009-0001.jpg"),
        cv2.imread(str(root / "DJI_0001-0001.jpg")),
        [cv2.IMWRITE_JPEG_QUALITY, 70],
    )
    shutil.copyfile(root / "DJI_0001-0001.txt", root / "DJI_0009-0001.txt")
    refined, report = assign_sources(read_yolo_dir(root))
    by_name = {r.image_path.name: r.source for r in refined}
    assert by_name["MOS74.png"] == by_name["MOS75.png"] == "MOS@96x64"
    assert by_name["MOS155.png"] == "MOS@128x48"
    assert "copy_of_74.png" not in by_name
    assert [Path(a).name for a, _ in report.dropped_exact] == ["copy_of_74.png"]
    assert by_name["DJI_0009-0001.jpg"] == by_name["DJI_0001-0001.jpg"] == "DJI_0001"
    assert report.merged_sources == (("DJI_0009", "DJI_0001"),)
    assert report.split_by_size == ("MOS",)


def test_different_scenes_are_not_merged(tmp_path: Path) -> None:
    for i, name in enumerate(("A_0001.jpg", "B_0001.jpg")):
        write_frame(tmp_path / name, 64, 64, [[i * 20, 0, i * 20 + 30, 40]], seed=i)
        (tmp_path / name).with_suffix(".txt").write_text("")
    (tmp_path / "classes.txt").write_text("car\n")
    refined, report = assign_sources(read_yolo_dir(tmp_path))
    assert {r.source for r in refined} == {"A", "B"} and not report.merged_sources


def test_real_aerial_cars_sources(shared_data: Path) -> None:
    refined, report = assign_sources(read_yolo_dir(shared_data / "aerial-cars"))
    counts: dict[str, int] = {}
    for r in refined:
        counts[r.source] = counts.get(r.source, 0) + 1
    assert counts == {
        "DJI_0005": 26,
        "DJI-00760": 11,
        "DJI_stills": 2,
        "MOS@684x547": 20,
        "MOS@1764x430": 25,
        "MunichStreet02": 20,
    }
    assert not report.merged_sources and not report.dropped_exact


def _frame(name: str, source: str = "guess") -> LabelledImage:
    return LabelledImage(
        image_path=Path(name),
        width_px=64,
        height_px=64,
        xyxy_px=np.zeros((0, 4), np.float32),
        class_ids=np.zeros(0, np.int64),
        class_names=("a",),
        source=source,
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DJI_0258_JPG.rf.32de2a17.jpg", "run-a"),
        ("DJI_0311_JPG.rf.34d44eab.jpg", "run-b"),
        ("DJI_0314_JPG.rf.0a0b0c0d.jpg", "run-c"),
        ("DJI_0331_JPG.rf.0a0b0c0d.jpg", "run-c"),
        ("MOS74.png", "guess"),
    ],
)
def test_source_patterns_group_frames_by_file_name(name: str, expected: str) -> None:
    patterns = {
        "run-a": ["DJI_02*"],
        "run-b": ["DJI_030*", "DJI_031[01]_*"],
        "run-c": ["DJI_031[4-9]_*", "DJI_03[23]*"],
    }
    frames = [_frame(n) for n in ("DJI_0258_x.jpg", "DJI_0300_x.jpg", "DJI_0320_x.jpg", name)]
    assert apply_source_patterns(frames, patterns)[-1].source == expected


def test_a_source_pattern_that_matches_nothing_is_an_error() -> None:
    with pytest.raises(BadInputError, match=r"\['typo'\] match no frame"):
        apply_source_patterns([_frame("DJI_0258_x.jpg")], {"a": ["DJI_*"], "typo": ["DJl_*"]})
