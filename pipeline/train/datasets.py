"""Read labelled images as records: a YOLO-format folder or a COCO json.

A :class:`LabelledImage` holds one image's path, pixel size and boxes in
pixels (``xyxy_px``, shape ``(N, 4)``, x0 y0 x1 y1, origin top-left) with
their class ids into the dataset's ``class_names``. ``source`` groups frames
that must stay on one side of a split (one video, one scene, one place); the
readers set a first guess from the file name with
:func:`pipeline.train.sources.source_key`.

Pixel sizes are those of the image as displayed, EXIF orientation applied,
as ultralytics (and OpenCV's decoder) read it; DJI frames carry orientation 1,
where stored and displayed pixels agree.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.detect import yolo_data
from pipeline.errors import BadInputError, UnreadableFileError

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class LabelledImage:
    """One labelled image.

    ``xyxy_px``: float32 ``(N, 4)`` boxes in stored pixels; ``class_ids``:
    int64 ``(N,)`` indices into ``class_names``; an image with ``N == 0`` is a
    background frame.
    """

    image_path: Path
    width_px: int
    height_px: int
    xyxy_px: np.ndarray
    class_ids: np.ndarray
    class_names: tuple[str, ...]
    source: str
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.xyxy_px.ndim != 2 or self.xyxy_px.shape[1] != 4:
            raise ValueError(f"xyxy_px must have shape (N, 4), got {self.xyxy_px.shape}")
        if self.class_ids.shape != (self.xyxy_px.shape[0],):
            raise ValueError(
                f"class_ids must have shape ({self.xyxy_px.shape[0]},), got {self.class_ids.shape}"
            )
        if self.width_px <= 0 or self.height_px <= 0:
            raise ValueError(f"image size must be positive, got {self.width_px}x{self.height_px}")

    @property
    def n_boxes(self) -> int:
        return int(self.xyxy_px.shape[0])


def read_dataset(path: Path | str) -> list[LabelledImage]:
    """Read a YOLO folder (a directory) or a COCO json (a ``.json`` file)."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".json":
        return read_coco(path)
    if path.is_dir():
        jsons = sorted(p for p in path.glob("*.json") if _looks_like_coco(p))
        if jsons and not _has_yolo_labels(path):
            return read_coco(jsons[0])
        return read_yolo_dir(path)
    raise BadInputError(
        f"no dataset at {path}: give a folder of images with YOLO .txt labels, or a COCO .json file"
    )


# --- YOLO ------------------------------------------------------------------------------


def read_yolo_dir(root: Path | str) -> list[LabelledImage]:
    """Read a YOLO-format folder with :mod:`pipeline.detect.yolo_data`, the one YOLO reader
    (layouts, label lines and the lookup order of class names are documented there)."""
    from pipeline.train.sources import source_key

    root = Path(root)
    names = yolo_data.read_names(root)
    records = []
    for image in yolo_data.iter_images(root):
        width, height = image_size(image)
        ids, xyxy = yolo_data.read_labels(yolo_data.label_path(image), width, height, names)
        records.append(
            LabelledImage(
                image_path=image,
                width_px=width,
                height_px=height,
                xyxy_px=xyxy.astype(np.float32),
                class_ids=ids,
                class_names=names,
                source=source_key(image, root),
            )
        )
    if not records:
        raise BadInputError(
            f"no images ({', '.join(sorted(yolo_data.IMAGE_SUFFIXES))}) under {root}"
        )
    log.info(
        "read %d images, %d boxes from %s", len(records), sum(r.n_boxes for r in records), root
    )
    return records


# --- COCO ------------------------------------------------------------------------------


def read_coco(path: Path | str) -> list[LabelledImage]:
    """Read a COCO detection json (``images``, ``annotations``, ``categories``).

    ``bbox`` is ``[x, y, w, h]`` in absolute pixels. Class ids are the
    categories in ascending category-id order. Image files are looked up
    beside the json, in ``images/`` beside it, or in ``../images/``.
    """
    from pipeline.train.sources import source_key

    path = Path(path)
    data = _load_json(path)
    cats = sorted(_require(data, "categories", path), key=lambda c: c["id"])
    names = tuple(str(c["name"]) for c in cats)
    class_of = {c["id"]: i for i, c in enumerate(cats)}
    per_image: dict[Any, list[dict[str, Any]]] = {}
    for ann in _require(data, "annotations", path):
        per_image.setdefault(ann.get("image_id"), []).append(ann)
    records = []
    for img in _require(data, "images", path):
        try:
            image_id, file_name = img["id"], img["file_name"]
            width, height = int(img["width"]), int(img["height"])
        except (KeyError, TypeError, ValueError) as e:
            raise BadInputError(
                f"{path}: image entry {img!r} needs id, file_name, width and height"
            ) from e
        image = _find_coco_image(path, file_name)
        anns = per_image.pop(image_id, [])
        xyxy, ids = _coco_boxes(anns, class_of, width, height, path, file_name)
        records.append(
            LabelledImage(
                image_path=image,
                width_px=width,
                height_px=height,
                xyxy_px=xyxy,
                class_ids=ids,
                class_names=names,
                source=source_key(image, image.parent),
            )
        )
    if per_image:
        orphan = next(iter(per_image))
        raise BadInputError(
            f"{path}: {sum(map(len, per_image.values()))} annotations refer to image ids "
            f"missing from "
            f"'images' (first: {orphan!r}): add the images or drop those annotations"
        )
    log.info(
        "read %d images, %d boxes from %s", len(records), sum(r.n_boxes for r in records), path
    )
    return records


def _coco_boxes(
    anns: Iterable[dict[str, Any]],
    class_of: dict[Any, int],
    width: int,
    height: int,
    path: Path,
    file_name: str,
) -> tuple[np.ndarray, np.ndarray]:
    boxes, ids = [], []
    for ann in anns:
        bbox, cat = ann.get("bbox"), ann.get("category_id")
        where = f"{path}: annotation {ann.get('id')!r} of {file_name}"
        if cat not in class_of:
            raise BadInputError(f"{where}: category_id {cat!r} is not in 'categories'")
        if not isinstance(bbox, list | tuple) or len(bbox) != 4:
            raise BadInputError(f"{where}: bbox must be [x, y, w, h] in pixels, found {bbox!r}")
        x, y, w, h = (float(v) for v in bbox)
        if w <= 0 or h <= 0:
            raise BadInputError(f"{where}: bbox {bbox} has no area (w and h must be > 0)")
        tol = yolo_data.EDGE_TOLERANCE
        tol_x, tol_y = tol * width, tol * height
        if x < -tol_x or y < -tol_y or x + w > width + tol_x or y + h > height + tol_y:
            raise BadInputError(
                f"{where}: bbox {bbox} reaches outside the {width}x{height} image; COCO boxes are "
                f"[x, y, w, h] in absolute pixels, not normalised or [x0, y0, x1, y1]"
            )
        boxes.append((max(x, 0.0), max(y, 0.0), min(x + w, width), min(y + h, height)))
        ids.append(class_of[cat])
    return (
        np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        np.asarray(ids, dtype=np.int64),
    )


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise UnreadableFileError(f"cannot read {path}: {e}") from e
    except json.JSONDecodeError as e:
        raise BadInputError(f"{path} is not valid JSON (line {e.lineno}): {e.msg}") from e
    if not isinstance(data, dict):
        raise BadInputError(
            f"{path}: a COCO file is a JSON object with images/annotations/categories"
        )
    return data


def _require(data: dict[str, Any], key: str, path: Path) -> list[dict[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list):
        raise BadInputError(
            f"{path} has no '{key}' list: a COCO detection file needs 'images', 'annotations' "
            f"and 'categories'"
        )
    return value


def _find_coco_image(path: Path, file_name: str) -> Path:
    here = path.parent
    for candidate in (
        here / file_name,
        here / "images" / file_name,
        here.parent / "images" / file_name,
    ):
        if candidate.is_file():
            return candidate
    raise BadInputError(
        f"{path} names image {file_name!r} but it is neither beside the json, in images/ nor in "
        f"../images/: copy the images there"
    )


def _looks_like_coco(path: Path) -> bool:
    try:
        head = path.open("rb").read(4096)
    except OSError:
        return False
    return b'"images"' in head or b'"annotations"' in head or b'"categories"' in head


def _has_yolo_labels(root: Path) -> bool:
    return any(p.name != "classes.txt" for p in root.rglob("*.txt"))


# --- images ----------------------------------------------------------------------------


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) as displayed (EXIF orientation applied), from the header only."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            width, height = int(im.width), int(im.height)
            orientation = im.getexif().get(0x0112, 1)
    except (OSError, UnidentifiedImageError) as e:
        raise UnreadableFileError(
            f"cannot read image {path}: {e}; set it aside or replace it"
        ) from e
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def load_image(path: Path) -> np.ndarray:
    """Decode an image to a BGR ``uint8`` array ``(H, W, 3)``, EXIF orientation applied."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise UnreadableFileError(f"OpenCV cannot decode {path}; set it aside or replace it")
    return image
