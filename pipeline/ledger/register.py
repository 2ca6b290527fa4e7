"""A frame's common ground error against what is already placed, found and removed.

Every point of one frame shares that frame's attitude and GPS error. A small
camera rotation ``ω`` (radians about east, north, up) moves a ground point
``d = (dx, dy)`` metres from the camera's nadir, seen from ``h`` metres up, by
``J(d)·ω`` with, to first order (ray rotated, then met with the level ground)::

    J = [[dx·dy/h,  −(h + dx²/h), −dy],
         [h + dy²/h, −dx·dy/h,     dx]]

so 0.5° of pitch moves a point 350 m ahead of a camera 120 m up by 10 m but
one 40 m ahead by 1 m: not a translation. GPS moves all points alike
(``t``, metres) and a height error scales them about the nadir (``s``). The
frame's correction is these six numbers ``θ = (t_e, t_n, ω_e, ω_n, ω_u, s)``;
sightings without a known camera get ``t`` only.

:func:`align_frame` finds ``θ`` that brings a frame's sightings onto the
anchors already placed (this push's objects, open issues nearby), point-set
registration with unknown correspondences:

1. **Candidates.** A sighting may correspond to the anchors within
   ``SEARCH_GATES`` × its ``gates_m`` (the association gate, which counts the
   per-frame noise and, against other flights, the whole error; three times
   that leaves room for a frame noisier than configured); its ``NEAREST``
   count (nine: in a parking lot the true match may lie behind the next
   row's cars).
2. **Hypotheses.** No shift; each single candidate pair (a translation); and
   each pair of candidate pairs of two sightings far apart in the frame (up
   to ``_MAX_SEEDS`` sightings, each with its ``PARTNERS`` farthest ones),
   which also fixes the rotation. A hypothesis is the ridge fit of its
   pairs: the prior holds each parameter near zero with 1σ ``PRIOR_SIGMA``
   (generous; it keeps the fit well-conditioned when the pairs cannot tell a
   rotation from a shift).
3. **Consensus.** A hypothesis scores ``Σ exp(−r²/2τ²)`` over the sightings
   (``r`` the distance to the nearest allowed anchor after the correction,
   ``τ`` = ``KERNEL_M``) less the prior's ``½ Σ (θ/σ)²`` and less
   ``½ mean (|J θ|/e)²``, how far it moves the sightings against how far
   their frame's error is expected to move them (``e``, the pair error: about
   a metre near nadir, so there a small correction beats a slip by one car
   along a row whose ends went undetected) — first on a sample of the
   sightings, then the short list on all of them. The ``REFINE`` best are
   refined, each a few times: the sightings within ``TOLERANCE_M`` of an
   anchor are its inliers and all of them are fitted again.
4. **Or a shift.** When a translation alone (refined from the chosen
   correction's pairs) has as many inliers, their RMS residual no more than
   ``KERNEL_M``/2 above, it is used instead: a frame that overlaps what is
   placed only in part would otherwise pass a rotation fitted to noise on to
   the objects it places first, and a survey strip drifts.
5. **Or nothing.** Fewer than ``MIN_SUPPORT`` inliers, or fewer than half of
   the sightings that have an anchor within their (plain) gate, and the frame
   is not corrected.

The correction is applied only to compare and match; stored positions stay
as placed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A sighting's candidates lie within this many times its association gate.
SEARCH_GATES = 3.0
TOLERANCE_M = 1.0
KERNEL_M = 0.5
MIN_SUPPORT = 4
NEAREST = 9
CANDIDATES = 16
PARTNERS = 2
REFINE = 6
#: 1σ of the prior on θ: GPS metres (east, north), rotation radians (≈ 1.5°), height fraction.
PRIOR_SIGMA = np.array([10.0, 10.0, 0.026, 0.026, 0.026, 0.05])
#: 1σ in metres of a matched pair's residual in the fit (sets the prior's weight).
FIT_SIGMA_M = 0.5
_MAX_SEEDS = 12
_SAMPLE = 32


@dataclass(frozen=True)
class Alignment:
    """A frame's correction: ``offsets_m`` (U, 2) east/north metres to add to its sightings,
    ``params`` θ (see the module docstring), ``inliers`` the sightings that agreed with it
    and ``residual_m`` their RMS distance to their anchors after it (metres)."""

    offsets_m: np.ndarray
    params: np.ndarray
    inliers: int
    residual_m: float = 0.0

    @property
    def applied(self) -> bool:
        return bool(np.any(self.params))

    def describe(self) -> str:
        """One line for the log: the mean move and the rotation in degrees."""
        mean = self.offsets_m.mean(axis=0) if len(self.offsets_m) else np.zeros(2)
        rot = np.degrees(self.params[2:5])
        return (f"moved {np.hypot(*mean):.1f} m (east {mean[0]:+.1f}, north {mean[1]:+.1f}), "
                f"rotation {rot[0]:+.2f}/{rot[1]:+.2f}/{rot[2]:+.2f}°, "
                f"scale {self.params[5]:+.3f}, {self.inliers} inliers "
                f"(RMS {self.residual_m:.2f} m)")  # fmt: skip


def design(units_xy: np.ndarray, cameras: np.ndarray) -> np.ndarray:
    """(U, 2, 6) how θ moves each sighting; ``cameras`` (U, 3): nadir east, north, height
    (metres; NaN when unknown: then only the translation columns are set)."""
    a = np.zeros((len(units_xy), 2, 6))
    a[:, 0, 0] = a[:, 1, 1] = 1.0
    known = np.isfinite(cameras).all(axis=1) & (np.nan_to_num(cameras[:, 2]) > 0)
    if not known.any():
        return a
    dx, dy = (units_xy[known] - cameras[known, :2]).T
    h = cameras[known, 2]
    a[known, 0, 2:] = np.stack([dx * dy / h, -(h + dx**2 / h), -dy, dx], axis=1)
    a[known, 1, 2:] = np.stack([h + dy**2 / h, -dx * dy / h, dx, dy], axis=1)
    return a


def _fit(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Ridge fits, batched: ``a`` (H, N, 2, 6), ``b`` (H, N, 2), weights ``w`` (H, N) → (H, 6)."""
    prior = np.diag((FIT_SIGMA_M / PRIOR_SIGMA) ** 2)
    lhs = np.einsum("hn,hnki,hnkj->hij", w, a, a) + prior
    rhs = np.einsum("hn,hnki,hnk->hi", w, a, b)
    return np.linalg.solve(lhs, rhs[..., None])[..., 0]


class _Problem:
    """One frame's sightings, their candidate anchors and the scoring of hypotheses."""

    def __init__(self, units_xy: np.ndarray, a: np.ndarray, anchors_xy: np.ndarray,
                 allowed: np.ndarray, d: np.ndarray, expected_m: np.ndarray) -> None:  # fmt: skip
        self.xy, self.a, self.anchors, self.allowed = units_xy, a, anchors_xy, allowed
        self.expected = expected_m
        # each sighting's allowed anchors, nearest first, padded with -1; hypotheses are
        # scored against the CANDIDATES nearest, the short list refined against all
        order = np.argsort(np.where(allowed, d, np.inf), axis=1, kind="stable")
        order = order[:, : max(1, int(allowed.sum(axis=1).max()))]
        self.every = np.where(np.take_along_axis(allowed, order, axis=1), order, -1)
        self.cand = self.every[:, :CANDIDATES]

    def nearest(self, params: np.ndarray, units: np.ndarray,
                every: bool = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """(H, len(units)) distance to and index of the nearest allowed anchor of ``units``
        after each correction (among all allowed ones with ``every``)."""
        moved = self.xy[None, units] + np.einsum("uki,hi->huk", self.a[units], params)
        cand = (self.every if every else self.cand)[units]
        diff = moved[:, :, None, :] - self.anchors[cand][None]
        d2 = np.where(cand[None] >= 0, (diff**2).sum(axis=3), np.inf)
        k = d2.argmin(axis=2)
        r = np.sqrt(np.take_along_axis(d2, k[..., None], axis=2)[..., 0])
        return r, cand[np.arange(len(units))[None], k]

    def score(self, params: np.ndarray, units: np.ndarray, every: bool = False) -> np.ndarray:
        r, _ = self.nearest(params, units, every)
        moves = np.einsum("uki,hi->huk", self.a[units], params)
        typical = ((moves / self.expected[units, None]) ** 2).sum(axis=2).mean(axis=1)
        penalty = 0.5 * ((params / PRIOR_SIGMA) ** 2).sum(axis=1) + 0.5 * typical
        return np.exp(-0.5 * (r / KERNEL_M) ** 2).sum(axis=1) - penalty

    def refit(self, params: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Fit each correction again on its inliers (none: kept as it was)."""
        r, t = self.nearest(params, units, every=True)
        inl = (r <= TOLERANCE_M).astype(float)
        b = self.anchors[t] - self.xy[None, units]
        fitted = _fit(np.broadcast_to(self.a[units], (len(params), len(units), 2, 6)), b, inl)
        return np.where(inl.sum(axis=1, keepdims=True) > 0, fitted, params)

    def shift_only(self, params: np.ndarray, units: np.ndarray) -> np.ndarray:
        """The translation alone that best matches the pairs ``params`` found (refined)."""
        shift = np.r_[params[:2], np.zeros(4)]
        for _ in range(3):
            r, t = self.nearest(shift[None], units, every=True)
            inl = r[0] <= TOLERANCE_M
            if not inl.any():
                break
            shift[:2] = (self.anchors[t[0, inl]] - self.xy[units[inl]]).mean(axis=0)
        return shift


def _as_well(simple: np.ndarray, full: np.ndarray) -> bool:
    """Whether residuals ``simple`` have as many inliers as ``full`` and an RMS within
    ``KERNEL_M`` of theirs."""
    a, b = simple[simple <= TOLERANCE_M], full[full <= TOLERANCE_M]
    if len(a) < len(b) or not len(a):
        return False
    return bool(np.sqrt(np.mean(a**2)) <= np.sqrt(np.mean(b**2)) + KERNEL_M / 2)


def _hypotheses(p: _Problem, active: np.ndarray) -> np.ndarray:
    """(H, 6) corrections from one candidate pair and from two pairs of far-apart sightings."""
    seeds = active[np.linspace(0, len(active) - 1, min(len(active), _MAX_SEEDS)).astype(int)]
    units, anchors = [], []  # (H, 2) each: a hypothesis's two pairs (one pair: twice)
    for u in seeds:
        near = p.cand[u, :NEAREST][p.cand[u, :NEAREST] >= 0]
        units.append(np.full((len(near), 2), u))
        anchors.append(np.c_[near, near])
        spread = np.linalg.norm(p.xy[active] - p.xy[u], axis=1)
        for v in active[np.argsort(-spread)[:PARTNERS]]:
            other = p.cand[v, :NEAREST][p.cand[v, :NEAREST] >= 0]
            t, s = (g.ravel() for g in np.meshgrid(near, other, indexing="ij"))
            units.append(np.tile((u, v), (int((t != s).sum()), 1)))
            anchors.append(np.c_[t, s][t != s])
    pu, pt = np.concatenate(units), np.concatenate(anchors)
    fitted = _fit(p.a[pu], p.anchors[pt] - p.xy[pu], np.ones(pu.shape))
    return np.vstack([np.zeros((1, 6)), fitted])


def align_frame(
    units_xy: np.ndarray,
    cameras: np.ndarray,
    anchors_xy: np.ndarray,
    gates_m: np.ndarray,
    expected_m: np.ndarray,
) -> Alignment:
    """The correction that brings ``units_xy`` (U, 2) onto ``anchors_xy`` (T, 2) (module
    docstring); ``cameras`` (U, 3) as for :func:`design`; ``gates_m`` (U, T) each pair's
    gate in metres, ``NaN`` where a pair may not correspond; ``expected_m`` (U,) the 1σ
    of how far the frame's error moves each sighting (the pair error against its anchors)."""
    a = design(units_xy, cameras)
    none = Alignment(np.zeros((len(units_xy), 2)), np.zeros(6), 0, 0.0)
    if len(units_xy) == 0 or len(anchors_xy) == 0:
        return none
    d = np.linalg.norm(units_xy[:, None, :] - anchors_xy[None, :, :], axis=2)
    allowed = np.nan_to_num(gates_m, nan=-np.inf) * SEARCH_GATES >= d
    reach = allowed.any(axis=0)  # only anchors some sighting may meet can matter
    active = np.flatnonzero(allowed.any(axis=1))
    if len(active) < MIN_SUPPORT:
        return none
    expected = np.maximum(np.nan_to_num(expected_m, nan=np.inf), KERNEL_M)
    p = _Problem(units_xy, a, anchors_xy[reach], allowed[:, reach], d[:, reach], expected)
    hyp = _hypotheses(p, active)
    # a first cut on a sample of the sightings, then all of them
    sample = active[np.linspace(0, len(active) - 1, min(len(active), _SAMPLE)).astype(int)]
    hyp = hyp[np.argsort(-p.score(hyp, sample), kind="stable")[: 4 * REFINE]]
    best = hyp[np.argsort(-p.score(hyp, active), kind="stable")[:REFINE]]
    for _ in range(3):
        best = p.refit(best, active)
    params = best[int(np.argmax(p.score(best, active, every=True)))]
    r, _ = p.nearest(params[None], active, every=True)
    shift = p.shift_only(params, active)
    r_shift, _ = p.nearest(shift[None], active, every=True)
    if _as_well(r_shift[0], r[0]):
        params, r = shift, r_shift  # a shift explains it as well: no rotation to drift with
    agree = r[0][r[0] <= TOLERANCE_M]
    within = int((np.nan_to_num(gates_m, nan=-np.inf) >= d).any(axis=1).sum())
    if len(agree) < max(MIN_SUPPORT, within / 2):
        return none
    rms = float(np.sqrt(np.mean(agree**2)))
    return Alignment(np.einsum("uki,i->uk", a, params), params, len(agree), rms)
