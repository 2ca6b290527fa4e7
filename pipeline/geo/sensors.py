"""Physical sensors of the cameras hehu knows, keyed by EXIF Model and lens.

One EXIF Model string often covers several cameras: an M30T frame may come from
its wide, zoom or thermal camera, an M3T frame from its wide, tele or thermal
one. DJI names the lens in XMP ``drone-dji:ImageSource`` (``WideCamera``,
``ZoomCamera``, ``InfraredCamera``, ``VisibleCamera``), so :func:`sensor_spec`
picks the entry by model *and* lens. Frames without ``ImageSource`` (older
firmware, other tools) are matched by what they show: a thermal entry needs the
frame to be as wide as its core (or twice, the super-resolution mode), a visible
one the EXIF focal length within its lens's range; anything still ambiguous gets
no entry, and the frame keeps the other intrinsics sources (35 mm equivalent …).

Each entry's figures come from the maker's published specifications, as noted
beside it ("eq." is the 35 mm-equivalent focal length). Where a spec sheet gives
only the sensor's format and the equivalent focal length, the actual focal length
is derived as ``eq. × sensor diagonal / 43.27 mm`` (the diagonal convention DJI
uses, see :data:`pipeline.geo.camera.FULL_FRAME_DIAGONAL_MM`); where it gives both
focal lengths, the sensor diagonal is derived the other way round. Thermal cores
are ``pixels × pixel pitch`` wide: the 640 × 512 core with 12 µm pixels of the
M30T/M3T/M3TD/M4T/H20T is 7.68 × 6.144 mm. Their super-resolution mode writes
twice the pixels over the same field of view, which the pixel-width scaling of
:mod:`pipeline.geo.camera` handles by itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

Lens = Literal["wide", "zoom", "thermal"]

#: XMP ``drone-dji:ImageSource`` → the lens it names. ``VisibleCamera`` is the one
#: visible-light camera of a dual (visible + thermal) payload.
LENS_OF_SOURCE: dict[str, Lens] = {
    "WideCamera": "wide",
    "VisibleCamera": "wide",
    "ZoomCamera": "zoom",
    "InfraredCamera": "thermal",
}

#: How far an EXIF focal length may lie outside an entry's published range and
#: still be taken as that lens (spec sheets round the equivalent focal length).
FOCAL_TOLERANCE = 0.15


@dataclass(frozen=True)
class SensorSpec:
    """Physical sensor of one camera, at its full native resolution.

    ``focal_mm``: the lens's focal length range in millimetres (min, max; equal for
    a fixed lens), used only to tell the lenses of one model apart when a frame
    does not name its lens; None when the lens is interchangeable or the model has
    one camera. A lens whose focal length changes (:attr:`zooms`) is placed with the
    EXIF focal length at the moment of capture.
    """

    width_mm: float
    height_mm: float
    width_px: int
    height_px: int
    note: str
    lens: Lens = "wide"
    focal_mm: tuple[float, float] | None = None

    @property
    def aspect(self) -> float:
        return self.width_px / self.height_px

    @property
    def zooms(self) -> bool:
        """Whether the lens changes its focal length (its calibration holds for one)."""
        return self.focal_mm is not None and self.focal_mm[0] < self.focal_mm[1]

    def covers_focal(self, focal_mm: float | None) -> bool:
        """Whether an EXIF focal length can be this lens's (True when either is unknown)."""
        if self.focal_mm is None or focal_mm is None:
            return True
        low, high = self.focal_mm
        if self.lens == "zoom":  # digital zoom on top of the optical range reports more
            return focal_mm >= low * (1 - FOCAL_TOLERANCE)
        return low * (1 - FOCAL_TOLERANCE) <= focal_mm <= high * (1 + FOCAL_TOLERANCE)

    def fits_width(self, width_px: int | None) -> bool:
        """Whether a frame this wide can be this camera's without a lens name: a
        thermal core writes its own width or twice it (super-resolution)."""
        if self.lens != "thermal" or width_px is None:
            return True
        return width_px in (self.width_px, 2 * self.width_px)


def _thermal(width_px: int, height_px: int, pitch_um: float, note: str,
             focal_mm: tuple[float, float] | None = None) -> SensorSpec:  # fmt: skip
    """A thermal core from its pixel count and pitch."""
    return SensorSpec(width_px * pitch_um / 1000, height_px * pitch_um / 1000,
                      width_px, height_px, note, "thermal", focal_mm)  # fmt: skip


# -- shared sensors -----------------------------------------------------------------
# Nominal formats: 1/2.3" ≈ 6.17 × 4.55 mm, 1/2" = 6.4 × 4.8 mm (diagonal 8.0),
# 1" = 13.2 × 8.8 mm, 4/3" = 17.3 × 13.0 mm, full frame 35.9 × 24.0 mm.
# 1/1.3" 48 MP (8064 × 6048, 1.2 µm pixels, DJI quotes 2.4 µm 4-in-1): 9.68 × 7.26 mm.
_ONE_INCH_20MP = (13.2, 8.8, 5472, 3648)
_FOUR_THIRDS_20MP = (17.3, 13.0, 5280, 3956)
_HALF_INCH_12MP = (6.4, 4.8, 4000, 3000)
_HALF_INCH_48MP = (6.4, 4.8, 8000, 6000)
_ONE_1_3_INCH_48MP = (9.68, 7.26, 8064, 6048)

# DJI spec sheets (M30 series, Mavic 3 Enterprise series, Matrice 3D series,
# Matrice 4 series, Zenmuse H20 series): uncooled VOx microbolometer, 640 × 512,
# 12 µm pixel pitch. M30T/M3T/M3TD: DFOV 61°, 40 mm eq. (9.1 mm); M4T: 53 mm eq.;
# H20T: 13.5 mm, DFOV 40.6°.
_T640_40EQ = _thermal(640, 512, 12.0, "640×512 VOx, 12 µm, 40 mm eq. (9.1 mm)", (9.1, 9.1))

#: EXIF Model (upper case, spaces removed) → its cameras. Sources per entry.
SENSORS: dict[str, tuple[SensorSpec, ...]] = {
    # -- single-camera aircraft (DJI product spec pages) ------------------------------
    # OpenSfM's sensor_data.json gives slightly different widths for some (FC300S 6.16,
    # FC300X 6.2, FC330 6.25): within 1.3 %, a 1.3 % scale error on ground distances.
    "FC300S": (SensorSpec(6.17, 4.55, 4000, 3000, 'Phantom 3 Advanced/Professional, 1/2.3"'),),
    "FC300X": (SensorSpec(6.17, 4.55, 4000, 3000, 'Phantom 3 Professional (4K), 1/2.3"'),),
    "FC300C": (SensorSpec(6.17, 4.55, 4000, 3000, 'Phantom 3 Standard, 1/2.3"'),),
    "FC330": (SensorSpec(6.17, 4.55, 4000, 3000, 'Phantom 4, 1/2.3"'),),
    "FC220": (SensorSpec(6.17, 4.55, 4000, 3000, 'Mavic Pro, 1/2.3"'),),
    # Mini 2: 1/2.3", 4000 × 3000; 6.3 mm is the value in common use in photogrammetry
    # tables (the nominal 1/2.3" width is 6.17 mm); uncertain to ~2 %.
    "FC7303": (SensorSpec(6.3, 4.7, 4000, 3000, 'Mini 2, 1/2.3" (width uncertain ±2 %)'),),
    # Mini 3: 1/1.3" 12 MP, 4000 × 3000; 6.7 mm at 24 mm eq. ⇒ diagonal 12.1, 9.66 mm wide
    "FC3682": (SensorSpec(9.6, 7.2, 4000, 3000, 'Mini 3, 1/1.3" 12 MP'),),
    # Mini 3 Pro, Mini 4 Pro: 1/1.3" 48 MP, 8064 × 6048 (6.72 mm, 24 mm eq.)
    "FC3582": (SensorSpec(*_ONE_1_3_INCH_48MP, 'Mini 3 Pro, 1/1.3" 48 MP'),),
    "FC8482": (SensorSpec(*_ONE_1_3_INCH_48MP, 'Mini 4 Pro, 1/1.3" 48 MP'),),
    # Phantom 4 Pro / Pro V2.0 / RTK and Air 2S: 1" 20 MP, 5472 × 3648 (2.4 µm)
    "FC6310": (SensorSpec(*_ONE_INCH_20MP, 'Phantom 4 Pro / Advanced, 1"'),),
    "FC6310S": (SensorSpec(*_ONE_INCH_20MP, 'Phantom 4 Pro V2.0, 1"'),),
    "FC6310R": (SensorSpec(*_ONE_INCH_20MP, 'Phantom 4 RTK, 1"'),),
    "FC3411": (SensorSpec(*_ONE_INCH_20MP, 'Air 2S, 1" 20 MP'),),
    "L1D-20C": (SensorSpec(*_ONE_INCH_20MP, 'Mavic 2 Pro (Hasselblad L1D-20c), 1"'),),
    # Mavic 3 / Classic / Pro wide (Hasselblad L2D-20c): 4/3" 20 MP, 5280 × 3956, 3.3 µm;
    # the Mavic 3's tele camera writes its own model string, FC4170: 1/2" 12 MP, 162 mm eq.
    "L2D-20C": (SensorSpec(*_FOUR_THIRDS_20MP, 'Mavic 3 wide (Hasselblad L2D-20c), 4/3"'),),
    "FC4170": (SensorSpec(*_HALF_INCH_12MP, 'Mavic 3 tele, 1/2" 12 MP', "zoom"),),
    # -- Mavic 3 Enterprise series (DJI Mavic 3E/3T specs) ------------------------------
    # wide 4/3" 20 MP (24 mm eq. ⇒ 12.0 mm; EXIF says 12.29), tele 1/2" 12 MP 162 mm eq.
    # (⇒ 30 mm); M3T wide 1/2" 48 MP (24 mm eq. ⇒ 4.4 mm), thermal as above.
    "M3E": (
        SensorSpec(*_FOUR_THIRDS_20MP, 'Mavic 3E wide, 4/3" 20 MP', "wide", (12.3, 12.3)),
        SensorSpec(*_HALF_INCH_12MP, 'Mavic 3E tele, 1/2" 12 MP, 162 mm eq.', "zoom", (30, 30)),
    ),
    "M3T": (
        SensorSpec(*_HALF_INCH_48MP, 'Mavic 3T wide, 1/2" 48 MP', "wide", (4.4, 4.4)),
        SensorSpec(*_HALF_INCH_12MP, 'Mavic 3T tele, 1/2" 12 MP, 162 mm eq.', "zoom", (30, 30)),
        _T640_40EQ,
    ),
    # Matrice 3TD (DJI Dock 2): thermal 640 × 512, 12 µm, 40 mm eq., super-resolution
    # 1280 × 1024. Its 1/1.32" wide camera is not in the table (no reliable width).
    "M3TD": (_T640_40EQ,),
    # -- Matrice 30 series (DJI M30 specs) ------------------------------------------------
    # wide 1/2" 12 MP 4000 × 3000, 4.5 mm (24 mm eq.); zoom 1/2" 48 MP 8000 × 6000,
    # 21–75 mm (113–405 mm eq.; both pairs give the 8.0 mm diagonal of 1/2").
    "M30T": (
        SensorSpec(*_HALF_INCH_12MP, 'M30T wide, 1/2" 12 MP, 4.5 mm', "wide", (4.5, 4.5)),
        SensorSpec(*_HALF_INCH_48MP, 'M30T zoom, 1/2" 48 MP, 21-75 mm', "zoom", (21, 75)),
        _T640_40EQ,
    ),
    "M30": (
        SensorSpec(*_HALF_INCH_12MP, 'M30 wide, 1/2" 12 MP, 4.5 mm', "wide", (4.5, 4.5)),
        SensorSpec(*_HALF_INCH_48MP, 'M30 zoom, 1/2" 48 MP, 21-75 mm', "zoom", (21, 75)),
    ),
    # -- Matrice 4 series (DJI M4E/M4T specs) --------------------------------------------
    # M4E wide 4/3" 20 MP, 24 mm eq.; M4T wide 1/1.3" 48 MP, 24 mm eq.; M4T thermal
    # 640 × 512, 12 µm, 53 mm eq. (⇒ 12.0 mm), super-resolution 1280 × 1024. Their two
    # tele cameras (70 and 168 mm eq.) are not in the table: which ImageSource each
    # writes is not documented where we could check.
    "M4E": (SensorSpec(*_FOUR_THIRDS_20MP, 'M4E wide, 4/3" 20 MP', "wide", (12.0, 12.3)),),
    "M4T": (
        SensorSpec(*_ONE_1_3_INCH_48MP, 'M4T wide, 1/1.3" 48 MP', "wide", (6.7, 6.7)),
        _thermal(640, 512, 12.0, "M4T thermal 640×512 VOx, 12 µm, 53 mm eq.", (12.0, 12.0)),
    ),
    # -- Zenmuse H20 series (DJI H20 specs) -----------------------------------------------
    # wide 1/2.3" 12 MP 4056 × 3040, 4.5 mm; zoom 1/1.7" 20 MP 5184 × 3888,
    # 6.83–119.94 mm (31.7–556.2 mm eq. ⇒ diagonal 9.33 mm ⇒ 7.46 × 5.60 mm);
    # H20T thermal 640 × 512, 12 µm, 13.5 mm (DFOV 40.6°).
    "ZH20": (
        SensorSpec(6.17, 4.55, 4056, 3040, 'H20 wide, 1/2.3" 12 MP, 4.5 mm', "wide", (4.5, 4.5)),
        SensorSpec(7.46, 5.60, 5184, 3888, 'H20 zoom, 1/1.7" 20 MP', "zoom", (6.83, 119.94)),
    ),
    "ZH20T": (
        SensorSpec(6.17, 4.55, 4056, 3040, 'H20T wide, 1/2.3" 12 MP, 4.5 mm', "wide", (4.5, 4.5)),
        SensorSpec(7.46, 5.60, 5184, 3888, 'H20T zoom, 1/1.7" 20 MP', "zoom", (6.83, 119.94)),
        _thermal(640, 512, 12.0, "H20T thermal 640×512 VOx, 12 µm, 13.5 mm", (13.5, 13.5)),
    ),
    # Zenmuse H20N (EXIF Model ZH20N): its starlight wide and zoom cameras and its two
    # thermal cameras are not in the table; the published sensor sizes and focal lengths
    # we could find disagree with each other. Its frames are placed from what they carry
    # (CalibratedFocalLength, FocalLengthIn35mmFilm), like every camera not listed here.
    # -- Zenmuse H30 series (DJI H30 specs; model strings by analogy with ZH20/ZH20T) -----
    # wide 1/1.3" 48 MP, 6.72 mm (24 mm eq.); H30T thermal 1280 × 1024, 12 µm, 24 mm
    # (DFOV 45.2°: 2·atan(19.67 / 2 / 24) = 44.6°), super-resolution 2560 × 2048.
    "ZH30": (SensorSpec(*_ONE_1_3_INCH_48MP, 'H30 wide, 1/1.3" 48 MP', "wide", (6.72, 6.72)),),
    "ZH30T": (
        SensorSpec(*_ONE_1_3_INCH_48MP, 'H30T wide, 1/1.3" 48 MP', "wide", (6.72, 6.72)),
        _thermal(1280, 1024, 12.0, "H30T thermal 1280×1024 VOx, 12 µm, 24 mm", (24.0, 24.0)),
    ),
    # -- mapping payloads (DJI P1, L1, L2 specs) ------------------------------------------
    # P1: full frame 35.9 × 24 mm, 8192 × 5460, 4.4 µm; 24/35/50 mm lenses (EXIF names it).
    "ZENMUSEP1": (SensorSpec(35.9, 24.0, 8192, 5460, "Zenmuse P1, full frame"),),
    # L1: 1" 20 MP 5472 × 3648, 8.8 mm (24 mm eq.); L2: 4/3" 20 MP 5280 × 3956, 12 mm.
    "ZENMUSEL1": (SensorSpec(*_ONE_INCH_20MP, 'Zenmuse L1 RGB, 1" 20 MP'),),
    "L2": (SensorSpec(*_FOUR_THIRDS_20MP, 'Zenmuse L2 RGB, 4/3" 20 MP'),),
    "ZENMUSEL2": (SensorSpec(*_FOUR_THIRDS_20MP, 'Zenmuse L2 RGB, 4/3" 20 MP'),),
    # -- Zenmuse XT / XTR / XT2 (FLIR Tau 2 cores, DJI XT/XT2 specs) ----------------------
    # 640 × 512 or 336 × 256, 17 µm; lenses 9/13/19/25 mm (the DJI Mobile SDK's
    # thermal lens list adds 6.8 and 7.5 mm). The frame's width tells the core; the
    # XT2's visible camera is not in the table (its spec FOV and 1/1.7" disagree).
    **{
        model: (
            _thermal(640, 512, 17.0, f"Zenmuse {model} 640×512 Tau 2, 17 µm"),
            _thermal(336, 256, 17.0, f"Zenmuse {model} 336×256 Tau 2, 17 µm"),
        )
        for model in ("XT", "XTR", "XT2")
    },
}


def model_key(model: str) -> str:
    """An EXIF Model as the table keys it: upper case, no spaces."""
    return model.replace(" ", "").upper()


def sensor_spec(
    model: str | None,
    focal_mm: float | None = None,
    *,
    image_source: str | None = None,
    width_px: int | None = None,
) -> SensorSpec | None:
    """The table entry for a frame's camera (module docstring), or None.

    ``model``: EXIF Model (case and spaces ignored); ``image_source``: XMP
    ``drone-dji:ImageSource``; ``focal_mm``/``width_px``: EXIF focal length and the
    frame's width, which pick the lens when ``image_source`` is missing.
    """
    if not model:
        return None
    entries = SENSORS.get(model_key(model), ())
    if not entries:
        return None
    if image_source:
        lens = LENS_OF_SOURCE.get(image_source)
        if lens is None:
            log.debug("%s: ImageSource %r is not a lens hehu knows", model, image_source)
            # a one-camera model may name its camera its own way; a payload's lens is a guess
            single = len(entries) == 1 and entries[0].lens != "thermal"
            return entries[0] if single else None
        found = [s for s in entries if s.lens == lens]
        if len(found) > 1:  # two thermal cores: the frame's width tells which
            found = [s for s in found if s.fits_width(width_px)]
    else:
        found = [s for s in entries if s.covers_focal(focal_mm) and s.fits_width(width_px)]
        thermal = [s for s in found if s.lens == "thermal"]
        if thermal and width_px is not None:
            found = thermal  # a frame exactly as wide as a thermal core is thermal
    return found[0] if len(found) == 1 else None
