"""One candidate per real object: associating sightings by ground position (no database).

Sightings of one 四乱 type are taken **frame by frame**: next is always the
steadiest frame that overlaps what is placed already (:class:`_Queue`; the
first, or when none overlaps, the steadiest of all). Steadiest is by the
median per-frame error ``sigma_rel_m`` of its sightings in steps of √2, so
near-nadir frames come before oblique ones while frames alike keep their
capture-time order (consecutive frames overlap most), then by frame sha256.
Growing from what is placed keeps one frame of reference: a frame is never
aligned to two patches placed from frames that did not overlap. Each frame's
sightings are *aligned*, then *assigned* to tracks — existing issues
(:class:`Site`) and the objects this push has started:

1. **One frame, distinct objects.** Two sightings of one frame are one object
   only when their boxes overlap: IoU ≥ ``SAME_OBJECT_IOU`` (one vehicle boxed
   as car and as truck: NMS is per class) or one lies within the other
   (≥ ``CONTAINED`` of the smaller box). Objects cut by a tile seam are
   joined before this, by the detector's border merge
   (:mod:`pipeline.detect.merge`), which knows where the seams are; parked
   cars side by side also touch, so touching alone never joins boxes here.
   Otherwise two sightings of a frame never share a track, however close.
2. **Gates from the error.** A sighting may join a track when their distance
   is within ``gate_sigmas`` × the pair's combined 1σ plus both extents'
   radii (:func:`pair_sigma_m`). Against a track already seen in this push the
   pair shares the flight's GPS, height and attitude-offset biases, so only the
   per-frame noise and the difference of the bias terms count; against an
   existing issue the full errors of both add.
   Before a frame is assigned, its common error — a small rotation of the
   camera and a shift of its GPS, which move near and far points differently —
   is estimated against the tracks (where this push has seen them, else the
   issue's position) and removed (:mod:`pipeline.ledger.register`); distances
   are measured after that correction, and a link's ``distance_m`` says so.
   What is left of the frame's error is then what its agreeing sightings
   still miss their anchors by, so the gates of a corrected frame shrink to
   ``gate_sigmas`` × that RMS (at least ``TOLERANCE_M``) plus the radii: a
   car whose own track does not exist yet no longer joins its neighbour's.
   The stored positions stay as placed.
3. **Assignment.** Each unit of a frame joins at most one track and each track
   takes at most one unit per frame: the pairs within their gates are taken
   greedily by (issue rank, ground distance, keys) — the nearest first, so a
   row of parked cars maps car to car — and units left over start new tracks.
   A track's position is the inverse-variance weighted mean of its sightings,
   so it tightens as sightings add up and cannot drift along a row.

Distances are metres on a local tangent plane, fine at these scales.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.geo.coords import MEAN_EARTH_RADIUS_M, wrap_lon_deg
from pipeline.ledger.register import (
    MIN_SUPPORT,
    SEARCH_GATES,
    TOLERANCE_M,
    Alignment,
    align_frame,
)

log = logging.getLogger(__name__)

#: Same-frame boxes with this IoU, or one this much inside the other, are one object.
SAME_OBJECT_IOU = 0.5
CONTAINED = 0.8

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Sighting:
    """A position to associate (WGS-84), with its 1σ errors in metres.

    ``sigma_m`` absolute; ``sigma_rel_m`` against another frame of the same
    flight; ``sigma_bias_m`` the size of the bias term (terrain height and the
    gimbal's attitude offset: shared within a flight, but of different size at
    different obliquity). ``frame`` says
    which frame it comes from and ``order`` where that frame comes in the push;
    ``key`` breaks ties; ``box_px`` is the box in the frame's pixels;
    ``camera`` the frame's camera (lat, lon, metres above the ground), when known.
    """

    key: Hashable
    frame: Hashable
    order: tuple[Any, ...]
    lat_deg: float
    lon_deg: float
    sigma_m: float
    sigma_rel_m: float
    sigma_bias_m: float = 0.0
    radius_m: float = 0.0
    box_px: Box | None = None
    camera: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class Site:
    """An existing issue as a place to match: ``rank`` orders preference (lower first)."""

    key: Hashable
    lat_deg: float
    lon_deg: float
    radius_m: float
    rank: int
    sigma_m: float


@dataclass(frozen=True)
class Link:
    """How a sighting joined its track: ground distance and the gate it was within (metres).

    The distance is measured after the frame's correction (:mod:`pipeline.ledger.register`);
    both are ``None`` for the sighting that started a new track.
    """

    index: int
    distance_m: float | None
    gate_m: float | None


@dataclass
class Track:
    """An object: an existing issue (``site`` its index) or one this push starts."""

    site: int | None
    rank: int
    x: float
    y: float
    weight: float  # Σ 1/σ² of the absolute position
    radius_m: float
    frames: set[Hashable] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)
    # this push's sightings only: position, Σ 1/σ_rel², weighted height term
    fx: float = 0.0
    fy: float = 0.0
    fw: float = 0.0
    fbias: float = 0.0

    @property
    def members(self) -> tuple[int, ...]:
        return tuple(link.index for link in self.links)


def extent_radius_m(area_m2: float | None) -> float:
    """Radius of a disc of ``area_m2`` (0 when unknown)."""
    return math.sqrt(area_m2 / math.pi) if area_m2 and area_m2 > 0 else 0.0


def same_object(a: Box, b: Box) -> bool:
    """Whether two boxes of one frame show one object (see the module docstring)."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return False
    inter = ix * iy
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    union = area_a + area_b - inter
    return inter >= SAME_OBJECT_IOU * union or inter >= CONTAINED * min(area_a, area_b)


def pair_sigma_m(unit: Sighting, track: Track, *, same_flight: bool) -> float:
    """The combined 1σ of a sighting and a track (see the module docstring)."""
    if same_flight:
        rel = 1.0 / math.sqrt(track.fw)
        hgt = track.fbias - unit.sigma_bias_m
        return math.sqrt(unit.sigma_rel_m**2 + rel**2 + hgt**2)
    track_sigma = 1.0 / math.sqrt(track.weight)
    return math.sqrt(unit.sigma_m**2 + track_sigma**2)


class _Plane:
    """WGS-84 ↔ local metres around one origin (continuous across the antimeridian)."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0, self.lon0 = lat0, lon0
        self.kx = math.radians(1.0) * MEAN_EARTH_RADIUS_M * math.cos(math.radians(lat0))
        self.ky = math.radians(1.0) * MEAN_EARTH_RADIUS_M

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return wrap_lon_deg(lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky

    def latlon(self, x: float, y: float) -> tuple[float, float]:
        return self.lat0 + y / self.ky, wrap_lon_deg(self.lon0 + x / self.kx)


def _units(sightings: Sequence[Sighting], idx: list[int]) -> list[list[int]]:
    """Same-frame sightings grouped into objects (connected by :func:`same_object`)."""
    parent = {i: i for i in idx}

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for n, i in enumerate(idx):
        for j in idx[n + 1 :]:
            a, b = sightings[i].box_px, sightings[j].box_px
            if a is not None and b is not None and same_object(a, b):
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in idx:
        groups.setdefault(find(i), []).append(i)
    # The keys of one call are of one sortable kind (detection ids, or test labels).
    return sorted(groups.values(), key=lambda g: sightings[g[0]].key)  # type: ignore[arg-type,return-value]


def _unit_sighting(sightings: Sequence[Sighting], members: list[int]) -> Sighting:
    """One sighting standing for a same-frame unit: the most precise member, widest extent."""
    best = min(members, key=lambda i: (sightings[i].sigma_m, sightings[i].key))
    radius = max(sightings[i].radius_m for i in members)
    s = sightings[best]
    return Sighting(s.key, s.frame, s.order, s.lat_deg, s.lon_deg, s.sigma_m, s.sigma_rel_m,
                    s.sigma_bias_m, radius, s.box_px, s.camera)  # fmt: skip


def _add(track: Track, s: Sighting, xy: tuple[float, float], aligned: tuple[float, float],
         members: list[int]) -> None:  # fmt: skip
    """Add a sighting: ``xy`` as seen, ``aligned`` with the frame's shift removed."""
    w = 1.0 / s.sigma_m**2
    track.x = (track.x * track.weight + xy[0] * w) / (track.weight + w)
    track.y = (track.y * track.weight + xy[1] * w) / (track.weight + w)
    track.weight += w
    fw = 1.0 / s.sigma_rel_m**2
    total = track.fw + fw
    track.fx = (track.fx * track.fw + aligned[0] * fw) / total
    track.fy = (track.fy * track.fw + aligned[1] * fw) / total
    track.fbias = (track.fbias * track.fw + s.sigma_bias_m * fw) / total
    track.fw = total
    track.radius_m = max(track.radius_m, s.radius_m)
    track.frames.add(s.frame)


def associate(
    sightings: Sequence[Sighting], sites: Sequence[Site], *, gate_sigmas: float
) -> list[Track]:
    """Tracks (sites first, in order, then new ones) with the sightings that joined them."""
    if not sightings:
        return [Track(i, s.rank, 0, 0, 1, s.radius_m) for i, s in enumerate(sites)]
    plane = _Plane(sightings[0].lat_deg, sightings[0].lon_deg)
    tracks = []
    for i, site in enumerate(sites):
        x, y = plane.xy(site.lat_deg, site.lon_deg)
        tracks.append(Track(i, site.rank, x, y, 1.0 / site.sigma_m**2, site.radius_m))
    frames: dict[Hashable, list[int]] = {}
    for i, s in enumerate(sightings):
        frames.setdefault(s.frame, []).append(i)

    def steadiest(f: Hashable) -> tuple[int, Any, str]:
        rel = float(np.median([sightings[i].sigma_rel_m for i in frames[f]]))
        return (round(2 * math.log2(max(rel, 1e-3))), sightings[frames[f][0]].order, str(f))

    queue = _Queue({f: [(m, _unit_sighting(sightings, m)) for m in _units(sightings, frames[f])]
                    for f in sorted(frames, key=steadiest)}, plane, gate_sigmas)  # fmt: skip
    moved = []
    while queue.waiting:
        frame, units = queue.pop(tracks)
        alignment = _assign_frame(units, tracks, plane, gate_sigmas)
        if alignment.applied:
            moved.append(float(np.hypot(*alignment.offsets_m.mean(axis=0))))
            log.debug("frame %s: %s", frame, alignment.describe())
    if moved:
        log.info("%d of %d frames aligned to what was placed before them, median move %.1f m",
                 len(moved), len(frames), float(np.median(moved)))  # fmt: skip
    return tracks


Unit = tuple[list[int], Sighting]  # a same-frame object: its sightings, and one standing for it


class _Queue:
    """Frames in the order they are assigned: the steadiest that overlaps what is placed
    already (``MIN_SUPPORT`` of its units, or all, within the search window of a track) —
    so each frame is aligned to one connected whole, not to two patches placed from frames
    that never overlapped — else the steadiest of all (``waiting`` is in that order)."""

    def __init__(self, waiting: dict[Hashable, list[Unit]], plane: _Plane,
                 gate_sigmas: float) -> None:  # fmt: skip
        self.waiting, self.gate_sigmas = waiting, gate_sigmas
        self.xy = {f: np.array([plane.xy(u.lat_deg, u.lon_deg) for _, u in units])
                   for f, units in waiting.items()}  # fmt: skip
        self.reached = {f: np.zeros(len(units), dtype=bool) for f, units in waiting.items()}
        # a frame's extent and the most its units' part of a search window can be
        self.box = {f: (*self.xy[f].min(axis=0), *self.xy[f].max(axis=0), SEARCH_GATES * max(
            gate_sigmas * (u.sigma_m + u.sigma_rel_m + u.sigma_bias_m) + u.radius_m
            for _, u in units)) for f, units in waiting.items()}  # fmt: skip
        self.checked = 0  # tracks looked at so far

    def pop(self, tracks: list[Track]) -> tuple[Hashable, list[Unit]]:
        new = tracks[self.checked :]
        self.checked = len(tracks)
        if new:
            self._reach(new)
        ready = next((f for f, units in self.waiting.items()
                      if self.reached[f].sum() >= min(MIN_SUPPORT, len(units))), None)  # fmt: skip
        pick = next(iter(self.waiting)) if ready is None else ready
        return pick, self.waiting.pop(pick)

    def _reach(self, new: list[Track]) -> None:
        """Mark the waiting frames' units that the tracks ``new`` are within reach of."""
        open_ = [f for f in self.waiting if not self.reached[f].all()]
        if not open_:
            return
        pos = _anchors(new)
        part = max(_track_sigma_bound(k) for k in new)  # the most the tracks' part can be
        box = np.array([self.box[f] for f in open_])
        dx = np.maximum(box[:, None, 0] - pos[None, :, 0], pos[None, :, 0] - box[:, None, 2])
        dy = np.maximum(box[:, None, 1] - pos[None, :, 1], pos[None, :, 1] - box[:, None, 3])
        radius = max(k.radius_m for k in new)
        reach = box[:, 4:5] + SEARCH_GATES * (self.gate_sigmas * part + radius)
        near = (np.hypot(np.maximum(dx, 0), np.maximum(dy, 0)) <= reach).any(axis=1)
        for f in (f for f, close in zip(open_, near, strict=True) if close):
            d = np.linalg.norm(self.xy[f][:, None, :] - pos[None], axis=2)
            units = [u for _, u in self.waiting[f]]
            self.reached[f] |= (SEARCH_GATES * _gates(units, new, self.gate_sigmas) >= d).any(1)


def _track_sigma_bound(track: Track) -> float:
    """At least the track's part of any pair sigma with it (:func:`_gates`)."""
    absolute = 1 / math.sqrt(track.weight) if track.weight > 0 else 0.0
    return absolute + (1 / math.sqrt(track.fw) + track.fbias if track.fw > 0 else 0.0)


def _anchors(tracks: list[Track]) -> np.ndarray:
    """(T, 2) where each track is: where this push has seen it (aligned), else the issue."""
    return np.array([(k.fx, k.fy) if k.fw > 0 else (k.x, k.y) for k in tracks]).reshape(-1, 2)


def _gates(units: list[Sighting], tracks: list[Track], gate_sigmas: float) -> np.ndarray:
    """(U, T) gates in metres: ``gate_sigmas`` × :func:`pair_sigma_m` + both radii."""
    t = np.array([(k.weight, k.fw, k.fbias, k.radius_m) for k in tracks]).reshape(-1, 4)
    u = np.array([(s.sigma_m, s.sigma_rel_m, s.sigma_bias_m, s.radius_m) for s in units])
    u = u.reshape(-1, 4)
    with np.errstate(divide="ignore"):
        same = np.sqrt(u[:, 1:2] ** 2 + 1.0 / t[None, :, 1] + (t[None, :, 2] - u[:, 2:3]) ** 2)
        other = np.sqrt(u[:, 0:1] ** 2 + 1.0 / t[None, :, 0])
    sigma = np.where(t[None, :, 1] > 0, same, other)
    return gate_sigmas * sigma + u[:, 3:4] + t[None, :, 3]


def _cameras(units: list[Sighting], plane: _Plane) -> np.ndarray:
    """(U, 3) each unit's camera nadir (metres on ``plane``) and height; NaN when unknown."""
    out = np.full((len(units), 3), np.nan)
    for i, u in enumerate(units):
        if u.camera is not None:
            out[i] = (*plane.xy(u.camera[0], u.camera[1]), u.camera[2])
    return out


def _assign_frame(
    units: list[Unit],
    tracks: list[Track],
    plane: _Plane,
    gate_sigmas: float,
) -> Alignment:
    """Align one frame to the tracks, then assign its units nearest first (module docstring)."""
    xys = [plane.xy(u.lat_deg, u.lon_deg) for _, u in units]
    gates = _gates([u for _, u in units], tracks, gate_sigmas)
    pos = _anchors(tracks)
    uxy = np.array(xys).reshape(-1, 2)
    with np.errstate(invalid="ignore"):  # a frame before any track: no anchors
        expected = gates.min(axis=1, initial=np.inf) / gate_sigmas
    alignment = align_frame(uxy, _cameras([u for _, u in units], plane), pos, gates, expected)
    if alignment.applied:  # what is left of the frame's error: its inliers' residuals
        radii = np.add.outer([u.radius_m for _, u in units], [k.radius_m for k in tracks])
        tight = max(TOLERANCE_M, gate_sigmas * alignment.residual_m) + radii
        gates = np.minimum(gates, tight)
    moved = uxy + alignment.offsets_m
    aligned = [(float(x), float(y)) for x, y in moved]
    d = np.linalg.norm(moved[:, None, :] - pos[None, :, :], axis=2)
    within = zip(*np.nonzero(d <= gates), strict=True)
    pairs = [(tracks[ti].rank, float(d[ui, ti]), units[ui][1].key, int(ti), int(ui),
              float(gates[ui, ti])) for ui, ti in within]  # fmt: skip
    pairs.sort(key=lambda p: (p[0], p[1], str(p[2]), p[3]))
    taken_units: set[int] = set()
    taken_tracks: set[int] = set()
    for _rank, d, _key, ti, ui, gate in pairs:
        if ui in taken_units or ti in taken_tracks:
            continue
        taken_units.add(ui)
        taken_tracks.add(ti)
        members, unit = units[ui]
        _add(tracks[ti], unit, xys[ui], aligned[ui], members)
        tracks[ti].links.extend(Link(i, round(d, 2), round(gate, 2)) for i in members)
    for ui, (members, unit) in enumerate(units):
        if ui in taken_units:
            continue
        track = Track(None, 0, *xys[ui], 0.0, 0.0)
        _add(track, unit, xys[ui], aligned[ui], members)
        track.links.extend(Link(i, None, None) for i in members)
        tracks.append(track)
    return alignment


def track_latlon(track: Track, sightings: Sequence[Sighting]) -> tuple[float, float]:
    """A new track's position (WGS-84): its sightings' inverse-variance weighted mean."""
    plane = _Plane(sightings[0].lat_deg, sightings[0].lon_deg)
    return plane.latlon(track.x, track.y)
