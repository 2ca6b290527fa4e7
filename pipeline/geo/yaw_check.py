"""Check each frame's recorded yaw against what overlapping images show.

Some flights record the yaw of whole flight lines turned by 180°: in the
Brighton Beach flight the south-west line says −132° while its images face
north-east like every other line. Placed on the ground as recorded, the same
object seen from two lines lands 20–55 m apart, and would become two ledger
candidates.

For each pair of consecutive frames that overlap, tie points are matched and
placed on the ground from each frame on its own, under the four hypotheses
"frame a / frame b turned by 0° or 180°". The GPS baseline between the two
shots fixes the answer absolutely, not just relatively: turning both frames
reverses the direction in which the ground moves through the images, which
then contradicts the GPS track. A hypothesis wins when it agrees clearly
better than every other; each winning pair gives both its frames a vote, and
each frame takes the correction its votes agree on. Frames with no decided
pair (no overlap, too few tie points, hovering) stay as recorded, "unchecked";
frames whose votes split stay as recorded, "ambiguous".
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pipeline.errors import HehuError
from pipeline.geo.coords import haversine_m
from pipeline.geo.georef import georeference
from pipeline.geo.laser import GroundSettings
from pipeline.geo.matching import Features, match_features, orb_features
from pipeline.ingest.names import display_path
from pipeline.records import FrameMeta

log = logging.getLogger(__name__)

#: A pair is decided when one hypothesis disagrees this many times less than the other…
DECISIVE_RATIO = 3.0
#: …and the worse one is off by more than this (metres): below it, both are within GPS noise.
MIN_GAP_M = 5.0
#: Fewest tie points for a pair to count.
MIN_TIE_POINTS = 20
#: ORB features per frame: 3000 checks every Brighton pair (forest included) at
#: ~90 ms a frame here; 4000 took ~127 ms, 2000 left forest pairs unchecked.
N_FEATURES = 3000
#: Frames read and pairs matched at once (OpenCV releases the GIL): Brighton's
#: 18 frames take 0.30–0.38 s with 2 threads on 2 cores, 0.56 s with one (embedded
#: previews, LSH matching; 0.74 and 1.24 s with reduced decodes and brute force).
THREADS = 2
#: The yaw check's pictures are at least this wide (~1000 px decides every Brighton pair).
MIN_WIDTH_PX = 900

LoadGray = Callable[[FrameMeta], NDArray[np.uint8]]


@dataclass(frozen=True)
class YawVerdict:
    """The yaw correction for one frame (by sha256) and why."""

    sha256: str
    yaw_offset_deg: float
    status: str  # "consistent", "flipped", "ambiguous" or "unchecked"
    detail: str


HYPOTHESES = ((0.0, 0.0), (0.0, 180.0), (180.0, 0.0), (180.0, 180.0))


def pair_disagreement_m(
    meta_a: FrameMeta,
    meta_b: FrameMeta,
    uv_a: NDArray[np.float64],
    uv_b: NDArray[np.float64],
    settings: GroundSettings | None = None,
) -> dict[tuple[float, float], float]:
    """Median ground distance (m) between tie points under each yaw hypothesis, each
    frame placed on the ground ``settings`` give it (the flight's, default flat/laser)."""
    located = {}
    for meta, uv, key in ((meta_a, uv_a, "a"), (meta_b, uv_b, "b")):
        for offset in (0.0, 180.0):
            georef = georeference(meta, yaw_offset_deg=offset, settings=settings)
            located[key, offset] = georef.locate(uv)
    medians = {}
    for off_a, off_b in HYPOTHESES:
        ga, gb = located["a", off_a], located["b", off_b]
        ok = ga.hit & gb.hit
        d = haversine_m(ga.lat_deg[ok], ga.lon_deg[ok], gb.lat_deg[ok], gb.lon_deg[ok])
        medians[off_a, off_b] = float(np.median(d)) if np.size(d) else float("inf")
    return medians


def decide(medians: dict[tuple[float, float], float]) -> tuple[float, float] | None:
    """The hypothesis that agrees clearly better than all others, or None."""
    ranked = sorted(medians, key=medians.__getitem__)
    best, runner_up = medians[ranked[0]], medians[ranked[1]]
    if best * DECISIVE_RATIO < runner_up and runner_up > MIN_GAP_M:
        return ranked[0]
    return None


def frame_features(frames: Sequence[FrameMeta], load_gray: LoadGray) -> list[Features | None]:
    """ORB features of each frame at full-resolution pixels (None when it cannot be read)."""

    def features(meta: FrameMeta) -> Features | None:
        try:
            gray = load_gray(meta)
            return orb_features(gray, scale=meta.width_px / gray.shape[1], n_features=N_FEATURES)
        except HehuError as e:
            log.warning("yaw check skips %s: %s", display_path(meta.path), e)
        except Exception:  # one frame's library error must not fail the flight's check
            log.exception("yaw check skips %s: unexpected error; please report it",
                          display_path(meta.path))  # fmt: skip
        return None

    with _pool() as pool:  # OpenCV decodes and finds features without the GIL
        return list(pool.map(features, frames))


def pair_vote(
    a: FrameMeta,
    b: FrameMeta,
    fa: Features | None,
    fb: Features | None,
    settings: GroundSettings | None = None,
) -> tuple[float, float] | None:
    """The yaw offsets of (a, b) their tie points decide, or None."""
    if fa is None or fb is None:
        return None
    try:
        uv_a, uv_b = match_features(fa, fb)
        if len(uv_a) < MIN_TIE_POINTS:
            return None
        medians = pair_disagreement_m(a, b, uv_a, uv_b, settings)
    except HehuError as e:
        log.debug("yaw check skips %s/%s: %s", display_path(a.path), display_path(b.path), e)
        return None
    except Exception:  # one pair's library error leaves the pair undecided, nothing more
        log.exception("yaw check skips %s/%s: unexpected error; please report it",
                      display_path(a.path), display_path(b.path))  # fmt: skip
        return None
    winner = decide(medians)
    log.debug("yaw check %s→%s: %s → %s", a.path, b.path, medians, winner)
    return winner


def pair_votes(
    frames: Sequence[FrameMeta], load_gray: LoadGray, settings: GroundSettings | None = None
) -> list[list[float]]:
    """For each frame, the yaw offsets voted by its decided pairs with neighbours."""
    feats = frame_features(frames, load_gray)
    vote = functools.partial(pair_vote, settings=settings)
    with _pool() as pool:
        winners = list(pool.map(vote, frames[:-1], frames[1:], feats[:-1], feats[1:]))
    votes: list[list[float]] = [[] for _ in frames]
    for i, winner in enumerate(winners):
        if winner is not None:
            votes[i].append(winner[0])
            votes[i + 1].append(winner[1])
    return votes


def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=min(THREADS, os.cpu_count() or 1))


def check_yaw(
    frames: Sequence[FrameMeta], load_gray: LoadGray, settings: GroundSettings | None = None
) -> list[YawVerdict]:
    """One verdict per frame, in order. ``frames`` are sorted by capture time.

    ``load_gray(meta)`` returns the frame as a (reduced) grayscale array; its
    width relative to ``meta.width_px`` gives the scale. ``settings``: the ground
    the tie points are placed on (the flight's; default flat or laser ground).
    """
    votes = pair_votes(frames, load_gray, settings)
    verdicts = [verdict(m, v) for m, v in zip(frames, votes, strict=True)]
    flipped = sum(v.status == "flipped" for v in verdicts)
    if flipped:
        log.warning("%d of %d frames record a yaw turned by 180°; corrected from image overlap",
                    flipped, len(frames))  # fmt: skip
    return verdicts


def check_frame_yaw(
    meta: FrameMeta,
    flight: Sequence[FrameMeta],
    load_gray: LoadGray,
    settings: GroundSettings | None = None,
) -> YawVerdict:
    """The verdict :func:`check_yaw` gives ``meta`` within ``flight`` (its frames in
    capture order), from the frame and its two neighbours only: a frame's votes come
    from its pairs with them, so this is the flow's verdict at a fraction of the cost.
    A frame alone, or one not among ``flight``, is "unchecked" with the reason."""
    i = next((k for k, m in enumerate(flight) if m.sha256 == meta.sha256), None)
    if i is None:
        detail = (
            f"not among the flight's {len(flight)} frames (set aside or in another folder): "
            "the recorded yaw is used"
        )
        return YawVerdict(meta.sha256, 0.0, "unchecked", detail)
    if len(flight) == 1:
        detail = (
            "a single frame cannot be yaw-checked: the check compares its image motion "
            "with its neighbours' along the GPS track, and its flight has no other frame"
        )
        return YawVerdict(meta.sha256, 0.0, "unchecked", detail)
    start = max(0, i - 1)
    return check_yaw(flight[start : i + 2], load_gray, settings)[i - start]


def verdict(meta: FrameMeta, votes: list[float]) -> YawVerdict:
    if not votes:
        return YawVerdict(meta.sha256, 0.0, "unchecked", "no decided overlap with a neighbour")
    if len(set(votes)) > 1:
        return YawVerdict(meta.sha256, 0.0, "ambiguous", f"neighbours disagree: {votes}")
    if votes[0] == 0.0:
        return YawVerdict(
            meta.sha256, 0.0, "consistent", f"{len(votes)} overlapping neighbour(s) agree"
        )
    detail = (
        f"recorded yaw is turned by 180°: image motion against the GPS track ({len(votes)} pair(s))"
    )
    return YawVerdict(meta.sha256, 180.0, "flipped", detail)


def load_gray_reduced(meta: FrameMeta) -> NDArray[np.uint8]:
    """The frame as grayscale at about 1000 px wide.

    The camera's embedded preview when it shows the whole frame at least
    ``MIN_WIDTH_PX`` wide (DJI's 960 px copy: 2–3 ms), else the main image
    decoded with JPEG DCT-domain reduction (26 ms for a 4000×2250 frame).
    """
    import cv2

    from pipeline.ingest.load import read_image_file
    from pipeline.ingest.preview import preview_jpeg

    try:
        _, data, _ = read_image_file(Path(meta.path))
    except HehuError as e:
        raise HehuError(f"{display_path(meta.path)}: could not read for the yaw check ({e})") from e
    preview = preview_jpeg(data, meta.width_px, meta.height_px, min_width_px=MIN_WIDTH_PX)
    if preview is not None:
        flags = cv2.IMREAD_GRAYSCALE
        data = preview
    else:
        reduce = {1: cv2.IMREAD_GRAYSCALE, 2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
                  4: cv2.IMREAD_REDUCED_GRAYSCALE_4, 8: cv2.IMREAD_REDUCED_GRAYSCALE_8}  # fmt: skip
        flags = reduce[max((f for f in reduce if meta.width_px / f >= MIN_WIDTH_PX), default=1)]
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flags | cv2.IMREAD_IGNORE_ORIENTATION)
    if image is None:
        raise HehuError(f"{display_path(meta.path)}: could not decode for the yaw check")
    return np.asarray(image, np.uint8)
