"""A flight's ground as a raster of small cells: which ground a set of outlines covers.

Outlines are polygons in a flight-local ENU plane (east, north metres). They
are filled with OpenCV into a grid of ``cell_m`` cells; to keep the answers on
the safe side, ground counted as covered is shrunk by one cell and ground
tested for cover is grown by one cell (plus any buffer the caller asks for).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Cells a flight's grid may hold per layer (uint8: 64 MB); a larger flight gets coarser cells.
MAX_CELLS = 64_000_000


@dataclass(frozen=True)
class Window:
    """A polygon filled into the part of the grid around it: ``mask`` starts at ``(row, col)``."""

    row: int
    col: int
    mask: np.ndarray

    def of(self, layer: np.ndarray) -> np.ndarray:
        """The same window of a full-grid ``layer``."""
        h, w = self.mask.shape
        return layer[self.row : self.row + h, self.col : self.col + w]


class GroundGrid:
    """Cells over the ENU box ``(east_min, north_min, east_max, north_max)`` metres."""

    def __init__(self, bounds_en_m: tuple[float, float, float, float], cell_m: float) -> None:
        e0, n0, e1, n1 = bounds_en_m
        area = max(e1 - e0, cell_m) * max(n1 - n0, cell_m)
        self.cell_m = max(cell_m, math.sqrt(area / MAX_CELLS))
        self.east0, self.north1 = e0 - 2 * self.cell_m, n1 + 2 * self.cell_m
        rows, cols = math.ceil((n1 - n0) / self.cell_m), math.ceil((e1 - e0) / self.cell_m)
        self.shape = (rows + 4, cols + 4)

    def layer(self) -> np.ndarray:
        """An empty ``uint8`` layer of the grid's shape."""
        return np.zeros(self.shape, np.uint8)

    def to_cells(self, en_m: np.ndarray) -> np.ndarray:
        """``(..., 2)`` east/north metres -> ``(..., 2)`` fractional (col, row) cell positions."""
        en = np.asarray(en_m, np.float64)
        return np.stack([(en[..., 0] - self.east0), (self.north1 - en[..., 1])], -1) / self.cell_m

    def fill(self, layer: np.ndarray, polygons_en_m: list[np.ndarray]) -> None:
        """Fill polygons (each ``(K, 2)`` metres) into ``layer`` (outer rings; holes cut
        with :meth:`cut`)."""
        import cv2

        pts = [np.round(self.to_cells(p) * 16).astype(np.int32) for p in polygons_en_m]
        cv2.fillPoly(layer, pts, 1, lineType=cv2.LINE_8, shift=4)

    def cut(self, layer: np.ndarray, polygons_en_m: list[np.ndarray]) -> None:
        """Clear polygons from ``layer``."""
        import cv2

        pts = [np.round(self.to_cells(p) * 16).astype(np.int32) for p in polygons_en_m]
        cv2.fillPoly(layer, pts, 0, lineType=cv2.LINE_8, shift=4)

    def window(self, polygon_en_m: np.ndarray, *, grow_m: float = 0.0) -> Window:
        """``polygon_en_m (K, 2)`` filled into a window around it, grown by ``grow_m`` and
        by one cell more (its ground for a test of cover)."""
        import cv2

        grow = math.ceil(max(grow_m, 0.0) / self.cell_m) + 1
        cells = self.to_cells(polygon_en_m)
        lo = np.floor(cells.min(axis=0)).astype(int) - grow - 1
        hi = np.ceil(cells.max(axis=0)).astype(int) + grow + 2
        lo = np.maximum(lo, 0)
        hi = np.minimum(hi, [self.shape[1], self.shape[0]])
        mask = np.zeros((max(hi[1] - lo[1], 1), max(hi[0] - lo[0], 1)), np.uint8)
        pts = np.round((cells - lo) * 16).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1, lineType=cv2.LINE_8, shift=4)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        return Window(int(lo[1]), int(lo[0]), cv2.dilate(mask, kernel))

    def add_inner(self, layer: np.ndarray, polygon_en_m: np.ndarray, times: int = 1) -> None:
        """Add ``times`` (1 or -1) to the cells of ``polygon_en_m``, less a one-cell rim, in
        a count ``layer`` (ground covered by that many outlines)."""
        import cv2

        win = self.window(polygon_en_m)  # the polygon and one cell around it
        kernel = np.ones((5, 5), np.uint8)  # take back that cell, the rim and one more
        inner = cv2.erode(win.mask, kernel).astype(layer.dtype)
        view = win.of(layer)
        view[...] = view + inner if times > 0 else view - inner

    def mark(self, layer: np.ndarray, polygon_en_m: np.ndarray, *, grow_m: float) -> None:
        """Set the cells of ``polygon_en_m``, grown by ``grow_m`` and one cell, in ``layer``."""
        win = self.window(polygon_en_m, grow_m=grow_m)
        np.maximum(win.of(layer), win.mask, out=win.of(layer))

    def covered(self, layer: np.ndarray, polygon_en_m: np.ndarray, *, grow_m: float) -> bool:
        """Whether every cell of ``polygon_en_m``, grown by ``grow_m``, is set in ``layer``.

        A polygon that reaches past the grid is not covered."""
        win = self.window(polygon_en_m, grow_m=grow_m)
        cells = self.to_cells(polygon_en_m)
        inside = cells.min() >= 0 and (cells.max(axis=0) < [self.shape[1], self.shape[0]]).all()
        return bool(inside) and not ((win.mask > 0) & (win.of(layer) == 0)).any()

    def touches(self, layer: np.ndarray, polygon_en_m: np.ndarray, *, grow_m: float) -> bool:
        """Whether any cell of ``polygon_en_m``, grown by ``grow_m``, is set in ``layer``."""
        win = self.window(polygon_en_m, grow_m=grow_m)
        return bool((win.mask & win.of(layer)).any())

    def area_m2(self, layer: np.ndarray) -> float:
        """Ground area of the cells set in ``layer``."""
        return float(np.count_nonzero(layer)) * self.cell_m**2
