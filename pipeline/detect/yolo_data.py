"""YOLO-format evaluation folders: images, one ``.txt`` of boxes per image, class names.

Layouts accepted: flat (``DIR/x.jpg`` beside ``DIR/x.txt``) or ultralytics'
(``DIR/images/.../x.jpg`` with ``DIR/labels/.../x.txt``). Class names come
from ``DIR/*.names``, ``DIR/classes.txt`` or a ``names:`` entry in
``DIR/data.yaml``, one name per class index. A label line is
``class cx cy w h``, normalised to the image size. An image without a label
file has no objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import BadInputError, ConfigError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")


@dataclass(frozen=True)
class YoloFolder:
    root: Path
    names: tuple[str, ...]
    images: tuple[Path, ...]

    def label_path(self, image: Path) -> Path:
        """The label file for ``image`` (which may not exist)."""
        rel = image.relative_to(self.root)
        if rel.parts[0] == "images":
            return self.root.joinpath("labels", *rel.parts[1:]).with_suffix(".txt")
        return image.with_suffix(".txt")

    def __iter__(self) -> Iterator[Path]:
        return iter(self.images)


def read_names(root: Path) -> tuple[str, ...]:
    """Class names of a YOLO folder (see module doc); raises :class:`ConfigError`."""
    candidates = [*sorted(root.glob("*.names")), root / "classes.txt"]
    for path in candidates:
        if path.is_file():
            names = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
            return tuple(n for n in names if n)
    data_yaml = root / "data.yaml"
    if data_yaml.is_file():
        import yaml

        listed = (yaml.safe_load(data_yaml.read_text(encoding="utf-8")) or {}).get("names")
        if isinstance(listed, dict):
            return tuple(str(listed[k]) for k in sorted(listed))
        if isinstance(listed, list):
            return tuple(str(n) for n in listed)
    raise ConfigError(
        f"{root} has no class names: add a NAME.names or classes.txt file (one class per line, "
        f"in label index order) or a data.yaml with names:"
    )


def open_folder(root: Path | str) -> YoloFolder:
    """Find the images and class names of a YOLO-format folder."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"--data {root} is not a folder")
    base = root / "images" if (root / "images").is_dir() else root
    images = tuple(
        sorted(p for p in base.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    )
    if not images:
        raise ConfigError(f"{root} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return YoloFolder(root, read_names(root), images)


def read_labels(
    path: Path, width_px: int, height_px: int, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(class_id (N,) int64, xyxy_px (N, 4) float64)`` from a label file (empty if absent)."""
    if not path.is_file():
        return np.zeros(0, np.int64), np.zeros((0, 4))
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            cls, cx, cy, w, h = int(parts[0]), *map(float, parts[1:5])
        except (ValueError, TypeError) as e:
            raise BadInputError(f"{path}:{lineno}: expected 'class cx cy w h', got {line!r}") from e
        if not 0 <= cls < n_classes:
            raise BadInputError(f"{path}:{lineno}: class {cls} is outside the {n_classes} names")
        rows.append((cls, cx, cy, w, h))
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, 4))
    arr = np.array(rows, np.float64)
    scale = np.array([width_px, height_px, width_px, height_px])
    cxcy, wh = arr[:, 1:3], arr[:, 3:5]
    xyxy = np.concatenate([cxcy - wh / 2, cxcy + wh / 2], axis=1) * scale
    return arr[:, 0].astype(np.int64), xyxy
