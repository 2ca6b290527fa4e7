"""A video and its SRT log as frames for the stills' stages: sampled by distance flown.

The video is decoded as a stream (OpenCV, one frame in memory at a time; frames
not sampled are grabbed, never converted), so memory does not grow with its
length. A frame is sampled when the drone has flown ``spacing`` metres since the
last one (by default ``1 - sample_overlap`` of a nadir footprint's short side at
the log's height there), or ``max_gap_s`` seconds have passed. Each sampled frame
is written as a JPEG still (:mod:`pipeline.video.ref` says where) and described
by a :class:`~pipeline.records.FrameMeta` whose position and attitude are the log's,
interpolated at the frame's time (:class:`~pipeline.video.track.Track`). What the
log lacks comes from the configuration and is named in the frame's
:attr:`~pipeline.records.VideoRef.pose`; what neither gives stays ``None`` (the
frame is then not placed on the ground, like a still without it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import BadInputError, UnreadableFileError
from pipeline.records import DjiXmp, FrameMeta, GpsFix, VideoRef
from pipeline.video import ref
from pipeline.video.srt import Unread, stream_srt
from pipeline.video.track import Track

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoSettings:
    """How frames are sampled and what stands in for what the log lacks.

    ``sample_overlap``: share of a nadir footprint's short side consecutive frames
    share; ``sample_spacing_m``: a fixed spacing instead; ``fallback_spacing_m`` when
    the footprint is unknown; ``max_gap_s``: the longest time between frames.
    ``focal_35mm``: the lens when the log has no ``focal_len``; ``camera_model`` and
    ``focal_mm``: the camera for the sensor table instead. ``default_pitch_deg``,
    ``default_yaw_deg`` (``None``: course over ground), ``default_rel_alt_m``: the pose
    when the log has no gimbal angles or height (``None``: the frame is not placed).
    """

    sample_overlap: float = 0.6
    sample_spacing_m: float | None = None
    fallback_spacing_m: float = 20.0
    max_gap_s: float = 10.0
    focal_35mm: float | None = 24.0
    camera_model: str | None = None
    focal_mm: float | None = None
    default_pitch_deg: float | None = -90.0
    default_yaw_deg: float | None = None
    default_rel_alt_m: float | None = None
    jpeg_quality: int = 95


def find_log(video: Path) -> Path | None:
    """The SRT log beside ``video``: same name, suffix ``.srt`` in any case."""
    for sibling in sorted(video.parent.glob(f"{_glob_escape(video.stem)}.*")):
        if sibling.suffix.lower() == ".srt" and sibling.is_file():
            return sibling
    return None


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def sha256_file(path: Path, chunk: int = 1 << 20) -> tuple[str, int]:
    """The file's sha256 and size, read in ``chunk`` pieces (memory flat)."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def decoded_frames(
    video: Path, wants: Callable[[float], bool]
) -> Iterator[tuple[float, NDArray[np.uint8]]]:
    """``(time_s, BGR image)`` of each frame ``wants(time_s)`` accepts, streamed in order.

    Frames not wanted are grabbed without being converted. Raises
    :class:`UnreadableFileError` when OpenCV cannot open the file.
    """
    import cv2
    import numpy as np

    cap = cv2.VideoCapture(str(video))
    try:
        if not cap.isOpened():
            raise UnreadableFileError(f"{video}: OpenCV cannot open it as a video")
        fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        index = 0
        while cap.grab():
            msec = cap.get(cv2.CAP_PROP_POS_MSEC)
            t = index / fps if fps > 0 else msec / 1000.0
            index += 1
            if wants(t):
                ok, image = cap.retrieve()
                if ok:
                    yield t, np.asarray(image, dtype=np.uint8)
    finally:
        cap.release()


class Sampler:
    """Decides, frame after frame in time order, which to keep (module docstring)."""

    def __init__(self, track: Track, settings: VideoSettings, footprint_per_m: float | None):
        self.track, self.settings = track, settings
        self.footprint_per_m = footprint_per_m  # nadir footprint short side per metre of height
        self.last: tuple[float, float] | None = None  # (time, distance) of the last kept frame

    def spacing_m(self, t: float) -> float:
        s = self.settings
        if s.sample_spacing_m is not None:
            return s.sample_spacing_m
        height = self.track.value("rel_alt_m", t) or s.default_rel_alt_m
        if height is None or self.footprint_per_m is None:
            return s.fallback_spacing_m
        return max(0.5, (1.0 - s.sample_overlap) * height * self.footprint_per_m)

    def __call__(self, t: float) -> bool:
        d = self.track.distance_m(t)
        if d is None:
            return False  # outside the log: no position for this frame
        if self.last is not None:
            t0, d0 = self.last
            if d - d0 < self.spacing_m(t) and t - t0 < self.settings.max_gap_s:
                return False
        self.last = (t, d)
        return True


@dataclass(frozen=True)
class VideoFrames:
    """The frames sampled from one video, how many records its log held and what of the
    log was not read (the records themselves are not kept: an hour's log at 30 fps
    holds 108,000)."""

    frames: tuple[FrameMeta, ...]
    records: int
    unread: tuple[Unread, ...]


def sample_video(
    video: Path, log_path: Path, out_dir: Path, settings: VideoSettings
) -> VideoFrames:
    """Sample ``video`` by distance flown and write its frames as stills under ``out_dir``
    (the state folder). Raises :class:`BadInputError` when the log holds no position or
    the video cannot be decoded."""
    import cv2

    from pipeline.fileio import write_atomic

    unread: list[Unread] = []
    track = Track(stream_srt(log_path, unread))  # the log is streamed: records not kept
    for u in unread[:20]:
        log.warning("%s line %d not read (%s): %s", log_path, u.line, u.why, u.text[:80])
    if len(unread) > 20:
        log.warning("%s: %d more lines not read", log_path, len(unread) - 20)
    clock, summary = track.clock, (track.records, tuple(sorted(unread, key=lambda u: u.line)))
    if not (track.has("lat_deg") and track.has("lon_deg")):
        raise BadInputError(f"its SRT log {log_path.name} holds no position (latitude/longitude, "
                            "GPS(…)): the video cannot be placed; leave it out")  # fmt: skip
    sha, size = sha256_file(video)
    folder = ref.frames_folder(out_dir, video, sha)
    folder.mkdir(parents=True, exist_ok=True)
    ref.write_manifest(folder, video, log_path, sha, size)
    hw = _frame_size(video)
    sampler = Sampler(track, settings, _footprint_per_m(hw, settings, track))
    params = [cv2.IMWRITE_JPEG_QUALITY, settings.jpeg_quality]
    frames = []
    for t, image in decoded_frames(video, sampler):
        ok, encoded = cv2.imencode(".jpg", image, params)
        if not ok:
            continue
        data = encoded.tobytes()
        path = ref.frame_file(folder, video, t)
        write_atomic(path, data)
        h, w = image.shape[:2]
        frames.append(frame_meta(path, data, (h, w), video, log_path, t, clock, track, settings))
    if not frames:
        raise BadInputError(f"no frame of the video falls inside its SRT log {log_path.name}'s "
                            "positions: is it the log of another video?")  # fmt: skip
    return VideoFrames(tuple(frames), *summary)


def _frame_size(video: Path) -> tuple[int, int]:
    import cv2

    cap = cv2.VideoCapture(str(video))
    try:
        if not cap.isOpened():
            raise UnreadableFileError(f"{video.name}: OpenCV cannot open it as a video; "
                                      "copy it again from the card")  # fmt: skip
        return int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    finally:
        cap.release()


def _footprint_per_m(hw: tuple[int, int], settings: VideoSettings, track: Track) -> float | None:
    """A nadir footprint's short side per metre of height: short side px / focal px."""
    from pipeline.errors import HehuError
    from pipeline.geo.camera import camera_from_meta

    h, w = hw
    if h <= 0 or w <= 0:
        return None
    probe = FrameMeta(path="", sha256="", size_bytes=0, media_type="image/jpeg",
                      width_px=w, height_px=h, **_camera(settings, track, 0.0))  # fmt: skip
    try:
        camera = camera_from_meta(probe)
    except HehuError:
        return None
    return min(w, h) / camera.fx_px


def _camera(settings: VideoSettings, track: Track, t: float) -> dict[str, Any]:
    focal_35 = track.value("focal_35mm", t)
    if focal_35 is not None:
        focal_35 *= track.value("dzoom", t) or 1.0
    return {"make": "DJI" if settings.camera_model else None, "model": settings.camera_model,
            "focal_mm": settings.focal_mm,
            "focal_35mm": focal_35 if focal_35 is not None else settings.focal_35mm}  # fmt: skip


def frame_meta(
    path: Path, data: bytes, hw: tuple[int, int], video: Path, log_path: Path,
    t: float, clock: tuple[dt.datetime, float] | None, track: Track, settings: VideoSettings,
) -> FrameMeta:  # fmt: skip
    """The record of the still at ``path`` (bytes ``data``), sampled at ``t`` seconds."""
    v = track.values(t)
    xmp, pose = _attitude(v, track, t, settings)
    captured, subsec = _clock(clock, t)
    alt = v.get("abs_alt_m", v.get("gps_alt_m"))
    return FrameMeta(
        path=str(path), sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
        media_type="image/jpeg", width_px=hw[1], height_px=hw[0], captured_at=captured,
        subsec=subsec, gps=GpsFix(v["lat_deg"], v["lon_deg"], alt), xmp=xmp,
        video=VideoRef(str(video), round(t, 3), str(log_path), pose),
        **_camera(settings, track, t),
    )  # fmt: skip


def _attitude(v: dict[str, float], track: Track, t: float,
              settings: VideoSettings) -> tuple[DjiXmp, tuple[str, ...]]:  # fmt: skip
    """The frame's height and attitude, and which parts are defaults (never invented)."""
    pose: list[str] = []
    rel_alt = v.get("rel_alt_m")
    if rel_alt is None and settings.default_rel_alt_m is not None:
        rel_alt = settings.default_rel_alt_m
        pose.append(f"height: default {rel_alt:g} m above take-off")
    pitch, yaw = v.get("gimbal_pitch_deg"), v.get("gimbal_yaw_deg")
    if pitch is None and settings.default_pitch_deg is not None:
        pitch = settings.default_pitch_deg
        pose.append(f"pitch: default {pitch:g}°")
    if yaw is None and v.get("flight_yaw_deg") is None:
        if settings.default_yaw_deg is not None:
            yaw = settings.default_yaw_deg
            pose.append(f"yaw: default {yaw:g}°")
        elif (yaw := track.course_deg(t)) is not None:
            pose.append("yaw: course over ground")
    xmp = DjiXmp(rel_alt_m=rel_alt, abs_alt_m=v.get("abs_alt_m"), gimbal_pitch_deg=pitch,
                 gimbal_yaw_deg=yaw, gimbal_roll_deg=v.get("gimbal_roll_deg"),
                 flight_yaw_deg=v.get("flight_yaw_deg"), flight_pitch_deg=v.get("flight_pitch_deg"),
                 flight_roll_deg=v.get("flight_roll_deg"))  # fmt: skip
    return xmp, tuple(pose)


def _clock(first: tuple[dt.datetime, float] | None, t: float) -> tuple[str | None, str | None]:
    """Capture time (local, no zone, as DateTimeOriginal) and its milliseconds."""
    if first is None:
        return None, None
    at = first[0] + dt.timedelta(seconds=t - first[1])
    return at.replace(microsecond=0).isoformat(), f"{at.microsecond // 1000:03d}"
