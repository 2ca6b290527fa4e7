"""A frame's common ground shift against the objects a flight has already seen.

Frames of one flight share their GPS and height biases, but each has its own
attitude noise: 0.2° of yaw at 300 m range moves *every* point of that frame
by about a metre, the same way. In a row of cars parked 2.5 m apart, a
nearest-first assignment then slips by a whole car. Before assigning a
frame, :func:`frame_shift_m` looks for the one translation that brings its
sightings onto tracks within their gates: each sighting proposes the offsets
to its ``NEAREST`` candidate tracks, and an offset scores
``Σ exp(−r²/2τ²)`` over the sightings (``r`` the distance to the nearest
allowed track after the shift, ``τ`` = ``KERNEL_M``) less ``½(|o|/σ)²``, a
prior that the shift is small (``σ`` the typical same-flight pair error).
The best offset is refined by the median residual of its inliers (``r`` ≤
``TOLERANCE_M``). Fewer than ``MIN_SUPPORT`` inliers, or fewer than half of
the sightings with a candidate, give no shift. The shift is removed only
when comparing with this flight's tracks.
"""

from __future__ import annotations

import numpy as np

TOLERANCE_M = 1.0
KERNEL_M = 0.5
MIN_SUPPORT = 3
NEAREST = 3


def frame_shift_m(
    units_xy: np.ndarray, tracks_xy: np.ndarray, gates_m: np.ndarray, prior_sigma_m: float
) -> np.ndarray:
    """The (east, north) metres to add to ``units_xy`` (U, 2) to meet ``tracks_xy`` (T, 2).

    ``gates_m`` (U, T): each pair's gate, ``NaN`` where a pair may not join;
    ``prior_sigma_m``: how large a frame's shift typically is.
    """
    zero = np.zeros(2)
    if len(units_xy) == 0 or len(tracks_xy) == 0:
        return zero
    d = np.linalg.norm(units_xy[:, None, :] - tracks_xy[None, :, :], axis=2)
    allowed = np.nan_to_num(gates_m, nan=-np.inf) >= d
    reach = allowed.any(axis=0)  # only tracks some sighting may join can matter
    tracks_xy, allowed, d = tracks_xy[reach], allowed[:, reach], d[:, reach]
    active = np.flatnonzero(allowed.any(axis=1))
    if len(active) < MIN_SUPPORT:
        return zero
    offsets = [zero]
    for u in active:
        near = np.flatnonzero(allowed[u])
        for t in near[np.argsort(d[u, near])][:NEAREST]:
            offsets.append(tracks_xy[t] - units_xy[u])
    prior = max(prior_sigma_m, KERNEL_M)

    def residuals(o: np.ndarray) -> np.ndarray:
        moved = np.linalg.norm(units_xy[active, None, :] + o - tracks_xy[None, :, :], axis=2)
        return np.where(allowed[active], moved, np.inf).min(axis=1)

    def score(o: np.ndarray) -> float:
        r = residuals(o)
        return float(np.exp(-0.5 * (r / KERNEL_M) ** 2).sum() - 0.5 * (np.hypot(*o) / prior) ** 2)

    best = max(offsets, key=score)
    inliers = residuals(best) <= TOLERANCE_M
    if inliers.sum() < max(MIN_SUPPORT, len(active) / 2):
        return zero
    moved = units_xy[active, None, :] + best - tracks_xy[None, :, :]
    dist = np.where(allowed[active], np.linalg.norm(moved, axis=2), np.inf)
    nearest = dist.argmin(axis=1)
    return best - np.median(moved[np.flatnonzero(inliers), nearest[inliers]], axis=0)
