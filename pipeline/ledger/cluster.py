"""One candidate per real object: grouping sightings by ground position (no database).

Within a flight, detections of one 四乱 type are grouped by **leader
clustering**: take sightings by falling confidence (ties by their natural
key, so the result never depends on input order); each one not yet taken
leads a group and takes every untaken sighting within the link distance of
it. Unlike single linkage this cannot chain a row of separate piles along a
bank into one issue: a group spans at most twice the link distance.

The link distance of two sightings is ``gate_m + r_a + r_b`` where ``r`` is
the radius of a disc with the sighting's ground area (``0`` when unknown or
``use_extent`` is off): two boxes on one large spoil heap have centres far
apart. Distances are metres on a local tangent plane, fine at these scales.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Sighting:
    """A position to group (WGS-84): ``radius_m`` its extent, ``key`` breaks ties when sorting."""

    key: Hashable
    lat_deg: float
    lon_deg: float
    conf: float
    radius_m: float = 0.0


@dataclass(frozen=True)
class Group:
    """Indexes of grouped sightings (leader first), their mean position and largest radius."""

    members: tuple[int, ...]
    lat_deg: float
    lon_deg: float
    radius_m: float


@dataclass(frozen=True)
class Site:
    """An existing issue as a place to match: ``rank`` orders preference (lower first)."""

    key: Hashable
    lat_deg: float
    lon_deg: float
    radius_m: float
    rank: int


def extent_radius_m(area_m2: float | None) -> float:
    """Radius of a disc of ``area_m2`` (0 when unknown)."""
    return math.sqrt(area_m2 / math.pi) if area_m2 and area_m2 > 0 else 0.0


def distance_m(lat0: float, lon0: float, lat1: float, lon1: float) -> float:
    """Ground distance on a local tangent plane (equirectangular), metres."""
    mean_lat = math.radians((lat0 + lat1) / 2)
    dy = math.radians(lat1 - lat0) * EARTH_RADIUS_M
    dx = math.radians(lon1 - lon0) * EARTH_RADIUS_M * math.cos(mean_lat)
    return math.hypot(dx, dy)


def _local_xy(
    lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float
) -> tuple[np.ndarray, np.ndarray]:
    x = np.radians(lon - lon0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
    y = np.radians(lat - lat0) * EARTH_RADIUS_M
    return x, y


def group_sightings(sightings: Sequence[Sighting], *, gate_m: float) -> list[Group]:
    """Leader clustering (see the module docstring). Groups come in leader order."""
    n = len(sightings)
    if n == 0:
        return []
    lat = np.array([s.lat_deg for s in sightings], dtype=float)
    lon = np.array([s.lon_deg for s in sightings], dtype=float)
    radius = np.array([s.radius_m for s in sightings], dtype=float)
    x, y = _local_xy(lat, lon, float(lat.mean()), float(lon.mean()))
    order = sorted(range(n), key=lambda i: (-sightings[i].conf, sightings[i].key))
    taken = np.zeros(n, dtype=bool)
    groups = []
    for leader in order:
        if taken[leader]:
            continue
        near = np.hypot(x - x[leader], y - y[leader]) <= gate_m + radius + radius[leader]
        near &= ~taken
        members = (leader, *(i for i in order if near[i] and i != leader))
        taken[list(members)] = True
        idx = list(members)
        groups.append(
            Group(members, float(lat[idx].mean()), float(lon[idx].mean()), float(radius[idx].max()))
        )
    return groups


def match_site(group: Group, sites: Sequence[Site], *, gate_m: float) -> int | None:
    """Index of the site a group belongs to: within ``gate_m`` + radii, lowest rank, nearest."""
    best: tuple[int, float, Hashable] | None = None
    best_index = None
    for i, site in enumerate(sites):
        d = distance_m(group.lat_deg, group.lon_deg, site.lat_deg, site.lon_deg)
        if d > gate_m + group.radius_m + site.radius_m:
            continue
        score = (site.rank, d, site.key)
        if best is None or score < best:
            best, best_index = score, i
    return best_index
