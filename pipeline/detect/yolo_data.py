"""The one reader of YOLO-format folders, for ``hehu eval`` and ``hehu train`` alike.

Layouts accepted: flat (``DIR/x.jpg`` beside ``DIR/x.txt``) or ultralytics'
(``DIR/images/.../x.jpg`` with ``DIR/labels/.../x.txt``); a label beside the
image wins. A label line is ``class cx cy w h``, normalised to the image
size. An image without a label file has no objects (a background frame).

Class names, one per class index, come from the first of these that exists,
in this order:

1. ``DIR/data.yaml`` (then ``DIR/dataset.yaml``): its ``names:`` list or
   ``{index: name}`` mapping, the ultralytics standard;
2. ``DIR/classes.txt``, one name per line;
3. ``DIR/*.names`` (the first in name order), one name per line.

When a later source lists other names than the one used, a warning says so:
the same folder then still gives training and evaluation the same classes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import BadInputError, ConfigError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
YAML_NAME_FILES = ("data.yaml", "dataset.yaml")
#: Box edges may stray this far (normalised) outside the image before it is an error.
EDGE_TOLERANCE = 0.01


@dataclass(frozen=True)
class YoloFolder:
    root: Path
    names: tuple[str, ...]
    images: tuple[Path, ...]

    def label_path(self, image: Path) -> Path | None:
        """The label file of ``image``; ``None`` when it has none."""
        return label_path(image)

    def __iter__(self) -> Iterator[Path]:
        return iter(self.images)


def open_folder(root: Path | str) -> YoloFolder:
    """Find the images and class names of a YOLO-format folder."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"--data {root} is not a folder")
    images = tuple(iter_images(root))
    if not images:
        raise ConfigError(f"{root} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return YoloFolder(root, read_names(root), images)


# --- class names -----------------------------------------------------------------------


def read_names(root: Path) -> tuple[str, ...]:
    """Class names of a YOLO folder, index = class id (lookup order: module doc)."""
    found = list(_name_sources(root))
    if not found:
        raise BadInputError(
            f"no class names in {root}: add data.yaml (`names: [...]`), classes.txt or a .names "
            f"file with one class name per line, in class-id order"
        )
    used_path, names = found[0]
    for path, other in found[1:]:
        if other != names:
            log.warning(
                "%s lists classes %s but %s, which comes first, lists %s: using %s; "
                "make them agree or delete the stale one",
                path, list(other), used_path.name, list(names), used_path.name,
            )  # fmt: skip
    return names


def _name_sources(root: Path) -> Iterator[tuple[Path, tuple[str, ...]]]:
    for name in YAML_NAME_FILES:
        if (root / name).is_file():
            yield root / name, _yaml_names(root / name)
    for path in [root / "classes.txt", *sorted(root.glob("*.names"))]:
        if path.is_file():
            yield path, _listed_names(path)


def _yaml_names(path: Path) -> tuple[str, ...]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise BadInputError(f"{path} is not valid YAML: {e}") from e
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict):
        try:
            return tuple(str(names[k]) for k in sorted(names, key=int))
        except (TypeError, ValueError) as e:
            raise BadInputError(f"{path}: names keys must be class ids 0, 1, ...") from e
    if isinstance(names, list):
        return tuple(str(n) for n in names)
    raise BadInputError(f"{path} has no 'names' list: add `names: [car, truck, ...]`")


def _listed_names(path: Path) -> tuple[str, ...]:
    names = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    if not any(names):
        raise BadInputError(f"{path} lists no class names: write one name per line")
    return tuple(n for n in names if n)


# --- images and labels -----------------------------------------------------------------


def iter_images(root: Path) -> Iterator[Path]:
    """Image files under ``root`` in path order (empty files and macOS ``._`` files skipped)."""
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in IMAGE_SUFFIXES or path.name.startswith("._"):
            continue
        if path.is_file() and path.stat().st_size > 0:
            yield path
        elif path.is_file():
            log.warning("skipping empty file %s", path)


def label_path(image: Path) -> Path | None:
    """The label file of ``image``: beside it, else under the mirrored ``labels/`` folder."""
    beside = image.with_suffix(".txt")
    if beside.is_file():
        return beside
    parts = list(image.parts)
    if "images" in parts:
        i = len(parts) - 1 - parts[::-1].index("images")
        parts[i] = "labels"
        mirrored = Path(*parts).with_suffix(".txt")
        if mirrored.is_file():
            return mirrored
    return None


def read_labels(
    path: Path | None, width_px: int, height_px: int, names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """``(class_id (N,) int64, xyxy_px (N, 4) float64)`` from a label file (empty if ``None``).

    Boxes are clipped to the image; one straying more than :data:`EDGE_TOLERANCE`
    outside it is an error, as is a class id outside ``names``.
    """
    if path is None or not path.is_file():
        return np.zeros(0, np.int64), np.zeros((0, 4))
    ids, boxes = [], []
    text = path.read_text(encoding="utf-8", errors="replace")
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.split():
            cls, box = _parse_line(line, f"{path}:{lineno}", names)
            ids.append(cls)
            boxes.append(box)
    cxcywh = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    cx, cy, w, h = cxcywh.T
    xyxy = np.clip(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1), 0.0, 1.0)
    scale = np.array([width_px, height_px, width_px, height_px], dtype=np.float64)
    return np.asarray(ids, dtype=np.int64), (xyxy * scale).reshape(-1, 4)


def _parse_line(line: str, where: str, names: Sequence[str]) -> tuple[int, tuple[float, ...]]:
    fields = line.split()
    if len(fields) != 5:
        raise BadInputError(
            f"{where}: expected 5 fields `class cx cy w h`, found {len(fields)} "
            f"({line.strip()!r}); polygon (segmentation) labels must be converted to boxes first"
        )
    try:
        cls = int(fields[0])
        cx, cy, w, h = (float(v) for v in fields[1:])
    except ValueError as e:
        raise BadInputError(
            f"{where}: {line.strip()!r} is not `int float float float float`: "
            f"fix or delete the line"
        ) from e
    if not 0 <= cls < len(names):
        raise BadInputError(
            f"{where}: class id {cls} but the dataset names {len(names)} classes {list(names)}: "
            f"fix the id or add the name to the class list"
        )
    if w <= 0 or h <= 0 or not all(np.isfinite((cx, cy, w, h))):
        raise BadInputError(f"{where}: box width and height must be positive, found w={w} h={h}")
    lo, hi = -EDGE_TOLERANCE, 1 + EDGE_TOLERANCE
    if min(cx - w / 2, cy - h / 2) < lo or max(cx + w / 2, cy + h / 2) > hi:
        raise BadInputError(
            f"{where}: box {cx:g} {cy:g} {w:g} {h:g} reaches outside the image; YOLO labels are "
            f"normalised to 0-1 by the image width and height (divide pixel labels by them)"
        )
    return cls, (cx, cy, w, h)
