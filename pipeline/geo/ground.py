"""The ground surface rays are intersected with.

**The frame's local ENU.** Geometry for one frame happens in a local east-north-up
frame in metres: x east, y north, z up, tangent to the WGS-84 ellipsoid at the
camera's GPS position. Its origin is directly below the camera at **take-off
elevation**, the datum of DJI's ``RelativeAltitude``, so the camera sits at
``(0, 0, RelativeAltitude)``. A ground model describes the ground in that frame.

**The seam for terrain.** :class:`GroundModel` is the only thing
:mod:`pipeline.geo.georef` needs, and :class:`FlatGround` (a level plane at take-off
elevation plus an offset) is the only implementation today. A DEM model would
plug in without touching the rest:

- it is built per frame, knowing that frame's ENU origin (the camera's lat/lon and
  the take-off ellipsoidal height, e.g. from a surveyed point or the DEM itself at
  the take-off position) so it can turn DEM heights into ENU ``z``;
- ``elevation_m(east_m, north_m)`` samples the DEM (bilinear) at ENU positions,
  converted to lat/lon with :func:`pipeline.geo.coords.enu_to_geodetic`;
- ``intersect`` marches along each ray from the camera in steps of about one DEM
  cell, stops at the first step where the ray's ``z`` drops below the terrain's,
  and refines that bracket by bisection to centimetres; rays that leave the DEM or
  pass a maximum range without meeting the terrain give NaN. Start from the flat
  intersection at the terrain height below the camera to skip most of the march.

The camera's height above the ground below it is then ``RelativeAltitude −
elevation_m(0, 0)``, which is how :func:`pipeline.geo.pose.pose_from_meta` uses
``elevation_m``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: A ray whose unit direction has an up component ≥ -MIN_DESCENT never meets level
#: ground: it points at or above the horizon (1e-9 ↔ a hit 10⁹ heights away).
MIN_DESCENT = 1e-9


@runtime_checkable
class GroundModel(Protocol):
    """The ground in a frame's local ENU (module docstring), metres."""

    def elevation_m(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        """Ground height ``z`` (metres above take-off elevation) at ENU positions."""
        ...

    def intersect(self, origin_enu: ArrayLike, dirs_enu: ArrayLike) -> NDArray[np.float64]:
        """Ray parameters ``t`` (N,) with ``origin + t·dir`` on the ground, NaN where a ray misses.

        ``origin_enu``: (3,) the camera; ``dirs_enu``: (N, 3) directions, any
        length; ``t`` is in units of each direction's length (metres for unit vectors).
        """
        ...


@dataclass(frozen=True)
class FlatGround:
    """A level plane ``offset_m`` metres above take-off elevation (negative: below).

    With ``offset_m = 0`` the ground is where the drone took off, so the camera is
    ``RelativeAltitude`` above it; raise the offset for a bank above the take-off
    spot, lower it for a river bed below it.
    """

    offset_m: float = 0.0

    def elevation_m(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        e, _ = np.broadcast_arrays(
            np.asarray(east_m, dtype=float), np.asarray(north_m, dtype=float)
        )
        return np.full(e.shape, float(self.offset_m))

    def intersect(self, origin_enu: ArrayLike, dirs_enu: ArrayLike) -> NDArray[np.float64]:
        origin = np.asarray(origin_enu, dtype=float).reshape(3)
        dirs = np.asarray(dirs_enu, dtype=float)
        if dirs.ndim != 2 or dirs.shape[1] != 3:
            raise ValueError(f"dirs_enu must have shape (N, 3), but got shape {dirs.shape}")
        norm = np.linalg.norm(dirs, axis=1)
        dz = dirs[:, 2]
        descending = dz < -MIN_DESCENT * norm
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (self.offset_m - origin[2]) / dz
        return np.where(descending & (t >= 0), t, np.nan)
