"""Coordinate conversions: WGS-84 geodetic, ECEF, local ENU, and China's map datums.

Every function is vectorised: arguments broadcast like numpy arrays, and results
have the broadcast shape (plain ``float`` when every argument was a scalar).
Angles are decimal degrees, distances metres; pairs are always ``(lat, lon)``.

**Datums hehu uses.** Positions are stored in WGS-84, as the drone's GPS gives them.
Official river-chief deliverables ask for CGCS2000 (EPSG:4490); CGCS2000 and the
current WGS-84 realisation agree at the centimetre to decimetre level, well below
drone GPS error (1-3 m without RTK), so hehu treats CGCS2000 coordinates as the same
numbers and performs no transformation for them.

**GCJ-02 and BD-09** are the obfuscated datums of Chinese web maps (GCJ-02: Amap,
Tencent; BD-09: Baidu, applied on top of GCJ-02). They move points by tens to hundreds
of metres. Use them only to build links or overlays for those maps; never store them
as the truth. Outside China (:func:`in_china`) both equal WGS-84. The forward
formulas are the public, widely reproduced ones (e.g. wandergis/coordtransform,
googollee/eviltransform); the inverses here are iterative and exact to < 1e-9 deg,
unlike the one-step approximations common in those libraries (errors of metres).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any, overload
from urllib.parse import quote

import numpy as np
from numpy.typing import ArrayLike, NDArray

# WGS-84 ellipsoid
WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
#: IUGG mean Earth radius, used by :func:`haversine_m`.
MEAN_EARTH_RADIUS_M = 6371008.8

# GCJ-02 constants: Krasovsky 1940 semi-major axis and eccentricity², as in the
# original published algorithm (some ports use 6378137; the difference is < 1 cm).
_GCJ_A_M = 6378245.0
_GCJ_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0

FloatArray = NDArray[np.float64]
#: One value per axis (lat, lon[, h] or x, y, z): floats for scalar input, else arrays.
Coords = tuple[Any, ...]


def _out(values: tuple[FloatArray, ...], scalar: bool) -> Coords:
    if scalar:
        return tuple(float(v) for v in values)
    return values


def _is_scalar(*args: ArrayLike) -> bool:
    return all(np.ndim(a) == 0 for a in args)


# --- WGS-84, ECEF, ENU ---------------------------------------------------------------


def geodetic_to_ecef(lat_deg: ArrayLike, lon_deg: ArrayLike, h_m: ArrayLike = 0.0) -> Coords:
    """WGS-84 latitude, longitude, ellipsoidal height → ECEF ``(x_m, y_m, z_m)``."""
    scalar = _is_scalar(lat_deg, lon_deg, h_m)
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    h = np.asarray(h_m, dtype=float)
    sin_lat = np.sin(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    x = (n + h) * np.cos(lat) * np.cos(lon)
    y = (n + h) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + h) * sin_lat
    return _out(np.broadcast_arrays(x, y, z), scalar)


def ecef_to_geodetic(x_m: ArrayLike, y_m: ArrayLike, z_m: ArrayLike) -> Coords:
    """ECEF → WGS-84 ``(lat_deg, lon_deg, h_m)``.

    Bowring's parametric start then Newton-free fixed-point refinement; five rounds
    reach well below a micrometre for points within tens of km of the surface.
    """
    scalar = _is_scalar(x_m, y_m, z_m)
    x, y, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x_m, y_m, z_m)))
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    ep2 = (WGS84_A_M**2 - WGS84_B_M**2) / WGS84_B_M**2
    beta = np.arctan2(z * WGS84_A_M, p * WGS84_B_M)
    lat = np.arctan2(
        z + ep2 * WGS84_B_M * np.sin(beta) ** 3, p - WGS84_E2 * WGS84_A_M * np.cos(beta) ** 3
    )
    for _ in range(5):
        beta = np.arctan2((1.0 - WGS84_F) * np.sin(lat), np.cos(lat))
        lat = np.arctan2(
            z + ep2 * WGS84_B_M * np.sin(beta) ** 3, p - WGS84_E2 * WGS84_A_M * np.cos(beta) ** 3
        )
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    # valid at every latitude, poles included
    h = p * cos_lat + (z + WGS84_E2 * n * sin_lat) * sin_lat - n
    return _out((np.degrees(lat), np.degrees(lon), h), scalar)


def _enu_basis(lat0_deg: float, lon0_deg: float) -> FloatArray:
    """Rows: the east, north and up unit vectors at the origin, in ECEF."""
    lat, lon = math.radians(lat0_deg), math.radians(lon0_deg)
    sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
    return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])


def enu_to_geodetic(
    east_m: ArrayLike,
    north_m: ArrayLike,
    up_m: ArrayLike,
    *,
    lat0_deg: float,
    lon0_deg: float,
    h0_m: float = 0.0,
) -> Coords:
    """Local tangent-plane ENU (origin at ``lat0, lon0, h0``) → WGS-84 ``(lat, lon, h)``.

    Exact (through ECEF), not a flat-Earth approximation: a point on the tangent
    plane 1 km away comes back about 8 cm above the ellipsoid, as it should.
    """
    scalar = _is_scalar(east_m, north_m, up_m)
    enu = np.stack(
        np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (east_m, north_m, up_m)))
    )
    basis = _enu_basis(lat0_deg, lon0_deg)
    origin = np.array(geodetic_to_ecef(lat0_deg, lon0_deg, h0_m))
    ecef = np.tensordot(basis.T, enu, axes=1) + origin.reshape((3,) + (1,) * (enu.ndim - 1))
    lat, lon, h = ecef_to_geodetic(ecef[0], ecef[1], ecef[2])
    return _out((np.asarray(lat), np.asarray(lon), np.asarray(h)), scalar)


def geodetic_to_enu(
    lat_deg: ArrayLike,
    lon_deg: ArrayLike,
    h_m: ArrayLike = 0.0,
    *,
    lat0_deg: float,
    lon0_deg: float,
    h0_m: float = 0.0,
) -> Coords:
    """WGS-84 ``(lat, lon, h)`` → local ENU ``(east_m, north_m, up_m)`` at ``lat0, lon0, h0``."""
    scalar = _is_scalar(lat_deg, lon_deg, h_m)
    ecef = np.stack(geodetic_to_ecef(np.asarray(lat_deg), np.asarray(lon_deg), np.asarray(h_m)))
    origin = np.array(geodetic_to_ecef(lat0_deg, lon0_deg, h0_m))
    d = ecef - origin.reshape((3,) + (1,) * (ecef.ndim - 1))
    e, n, u = np.tensordot(_enu_basis(lat0_deg, lon0_deg), d, axes=1)
    return _out((e, n, u), scalar)


@overload
def wrap_lon_deg(lon_deg: float) -> float: ...
@overload
def wrap_lon_deg(lon_deg: ArrayLike) -> FloatArray | float: ...
def wrap_lon_deg(lon_deg: ArrayLike) -> FloatArray | float:
    """Longitude(s) wrapped into ``[-180, 180)``; a difference of longitudes wrapped is the
    short way round (``wrap_lon_deg(-179.9 - 179.9)`` is 0.2, not -359.8)."""
    wrapped = (np.asarray(lon_deg, dtype=float) + 180.0) % 360.0 - 180.0
    return float(wrapped) if np.ndim(wrapped) == 0 else wrapped


def lon_arc_deg(lons_deg: Iterable[float]) -> tuple[float, float]:
    """``(west_deg, span_deg)`` of the smallest arc of longitude holding every one given.

    Across the antimeridian the arc starts west of 180° (179.99) and its east end is
    past 180 (180.01): unwrap a longitude into it as ``west + (lon - west) % 360``.
    """
    lons = sorted({wrap_lon_deg(lon) for lon in lons_deg})
    if not lons:
        raise ValueError("no longitudes: the arc holding them is undefined")
    gaps = [(lons[0] + 360.0 - lons[-1], 0)]
    gaps += [(b - a, i + 1) for i, (a, b) in enumerate(itertools.pairwise(lons))]
    widest, start = max(gaps)
    return lons[start], 360.0 - widest


def degrees_around(lat_deg: float, radius_m: float) -> tuple[float, float]:
    """``(dlat_deg, dlon_deg)`` that ``radius_m`` spans at ``lat_deg``: the half-sides of a
    search window at least that wide (longitude capped at 100x latitude near the poles)."""
    dlat = math.degrees(radius_m / MEAN_EARTH_RADIUS_M)
    return dlat, dlat / max(0.01, math.cos(math.radians(lat_deg)))


@overload
def haversine_m(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float: ...
@overload
def haversine_m(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> FloatArray | float: ...
def haversine_m(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> FloatArray | float:
    """Great-circle distance in metres on a sphere of radius ``MEAN_EARTH_RADIUS_M``: the one
    ground distance of hehu (ingest outliers, ledger gates and merges, review, yaw check).

    Good to about 0.5 % against the ellipsoid; use :func:`geodetic_to_enu` when
    centimetres matter. The short way round across the antimeridian (179.9° to
    -179.9° is 0.2° of longitude).
    """
    scalar = _is_scalar(lat1_deg, lon1_deg, lat2_deg, lon2_deg)
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, dtype=float)) for a in
                              (lat1_deg, lon1_deg, lat2_deg, lon2_deg))  # fmt: skip
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    d = 2.0 * MEAN_EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(d) if scalar else d


# --- GCJ-02 and BD-09 ----------------------------------------------------------------


def in_china(lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.bool_] | bool:
    """Whether GCJ-02 applies: the conventional rough box lat 0.8293-55.8271, lon 72.004-137.8347.

    This is the box every common implementation uses, so hehu's links agree with
    theirs. It is coarse: it also covers e.g. Seoul, Hanoi and Ulaanbaatar, and the
    maps of Hong Kong, Macao and Taiwan are not consistently offset. Fine for
    mainland river patrols, which is what hehu is for.
    """
    lat, lon = np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float)
    inside = (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)
    return bool(inside) if inside.ndim == 0 else inside


def _gcj_delta(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (dlat, dlon) in degrees at a WGS-84 point (no China test)."""
    x, y = lon - 105.0, lat - 35.0
    xp, yp = x * math.pi, y * math.pi
    common = (20.0 * np.sin(6.0 * xp) + 20.0 * np.sin(2.0 * xp)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + common
            + (20.0 * np.sin(yp) + 40.0 * np.sin(yp / 3.0)) * 2.0 / 3.0
            + (160.0 * np.sin(yp / 12.0) + 320.0 * np.sin(yp / 30.0)) * 2.0 / 3.0)  # fmt: skip
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + common
            + (20.0 * np.sin(xp) + 40.0 * np.sin(xp / 3.0)) * 2.0 / 3.0
            + (150.0 * np.sin(xp / 12.0) + 300.0 * np.sin(xp / 30.0)) * 2.0 / 3.0)  # fmt: skip
    rad_lat = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_GCJ_A_M * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = dlon * 180.0 / (_GCJ_A_M / sqrt_magic * np.cos(rad_lat) * math.pi)
    return dlat, dlon


def _pair(lat_deg: ArrayLike, lon_deg: ArrayLike) -> tuple[FloatArray, FloatArray, bool]:
    lat, lon = np.broadcast_arrays(
        np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float)
    )
    return lat.copy(), lon.copy(), lat.ndim == 0


def wgs84_to_gcj02(lat_deg: ArrayLike, lon_deg: ArrayLike) -> Coords:
    """WGS-84 → GCJ-02 ``(lat, lon)``; unchanged outside China."""
    lat, lon, scalar = _pair(lat_deg, lon_deg)
    dlat, dlon = _gcj_delta(lat, lon)
    inside = np.asarray(in_china(lat, lon))
    return _out((np.where(inside, lat + dlat, lat), np.where(inside, lon + dlon, lon)), scalar)


def _invert(
    forward: Callable[[FloatArray, FloatArray], Coords],
    lat_t: FloatArray,
    lon_t: FloatArray,
    tol_deg: float,
) -> Coords:
    """Solve ``forward(lat, lon) == (lat_t, lon_t)`` by fixed-point iteration.

    Converges fast because the offsets change slowly with position (a few
    iterations reach 1e-12 deg); capped at 20 rounds.
    """
    lat, lon = lat_t.copy(), lon_t.copy()
    for _ in range(20):
        f_lat, f_lon = forward(lat, lon)
        err_lat, err_lon = lat_t - f_lat, lon_t - f_lon
        lat, lon = lat + err_lat, lon + err_lon
        if (
            max(np.max(np.abs(err_lat), initial=0.0), np.max(np.abs(err_lon), initial=0.0))
            < tol_deg
        ):
            break
    return lat, lon


def gcj02_to_wgs84(lat_deg: ArrayLike, lon_deg: ArrayLike, *, tol_deg: float = 1e-10) -> Coords:
    """GCJ-02 → WGS-84 ``(lat, lon)``, iterated until wgs84_to_gcj02 matches to ``tol_deg``."""
    lat, lon, scalar = _pair(lat_deg, lon_deg)
    return _out(_invert(wgs84_to_gcj02, lat, lon, tol_deg), scalar)


def gcj02_to_bd09(lat_deg: ArrayLike, lon_deg: ArrayLike) -> Coords:
    """GCJ-02 → BD-09 ``(lat, lon)``; unchanged outside China."""
    lat, lon, scalar = _pair(lat_deg, lon_deg)
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    inside = np.asarray(in_china(lat, lon))
    bd_lat = np.where(inside, z * np.sin(theta) + 0.006, lat)
    bd_lon = np.where(inside, z * np.cos(theta) + 0.0065, lon)
    return _out((bd_lat, bd_lon), scalar)


def bd09_to_gcj02(lat_deg: ArrayLike, lon_deg: ArrayLike, *, tol_deg: float = 1e-10) -> Coords:
    """BD-09 → GCJ-02 ``(lat, lon)``, iterated to ``tol_deg``.

    The closed form most libraries use is off by up to ~1e-6 deg (10 cm).
    """
    lat, lon, scalar = _pair(lat_deg, lon_deg)
    return _out(_invert(gcj02_to_bd09, lat, lon, tol_deg), scalar)


def wgs84_to_bd09(lat_deg: ArrayLike, lon_deg: ArrayLike) -> Coords:
    """WGS-84 → BD-09 ``(lat, lon)`` (through GCJ-02)."""
    lat, lon, scalar = _pair(lat_deg, lon_deg)
    return _out(gcj02_to_bd09(*wgs84_to_gcj02(lat, lon)), scalar)


def bd09_to_wgs84(lat_deg: ArrayLike, lon_deg: ArrayLike) -> Coords:
    """BD-09 → WGS-84 ``(lat, lon)`` (through GCJ-02)."""
    lat, lon, scalar = _pair(lat_deg, lon_deg)
    return _out(gcj02_to_wgs84(*bd09_to_gcj02(lat, lon)), scalar)


# --- links for Chinese web maps ------------------------------------------------------


def amap_marker_url(lat_deg: float, lon_deg: float, name: str = "hehu") -> str:
    """An Amap (高德) marker link for a WGS-84 point; the point is converted to GCJ-02 here.

    Uses Amap's URI API ``https://uri.amap.com/marker`` (``position=lon,lat``,
    ``coordinate=gaode`` i.e. GCJ-02).
    """
    lat, lon = wgs84_to_gcj02(float(lat_deg), float(lon_deg))
    return (f"https://uri.amap.com/marker?position={lon:.7f},{lat:.7f}"
            f"&name={quote(name)}&coordinate=gaode&callnative=0")  # fmt: skip


def baidu_marker_url(lat_deg: float, lon_deg: float, name: str = "hehu") -> str:
    """A Baidu (百度) marker link for a WGS-84 point; the point is converted to BD-09 here.

    Uses Baidu's URI API ``https://api.map.baidu.com/marker`` (``location=lat,lng``,
    ``coord_type=bd09ll``; ``src`` names the calling application).
    """
    lat, lon = wgs84_to_bd09(float(lat_deg), float(lon_deg))
    return (f"https://api.map.baidu.com/marker?location={lat:.7f},{lon:.7f}"
            f"&title={quote(name)}&content={quote(name)}&output=html&coord_type=bd09ll"
            f"&src=hehu")  # fmt: skip
