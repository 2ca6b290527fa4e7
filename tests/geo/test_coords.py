"""WGS-84 / ECEF / ENU conversions, haversine, GCJ-02 and BD-09."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.geo import coords
from pipeline.geo.coords import (
    WGS84_A_M,
    WGS84_B_M,
    amap_marker_url,
    baidu_marker_url,
    bd09_to_gcj02,
    bd09_to_wgs84,
    ecef_to_geodetic,
    enu_to_geodetic,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geodetic_to_ecef,
    geodetic_to_enu,
    haversine_m,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

ORIGINS = [
    (39.915, 116.404, 50.0),  # Beijing
    (31.2304, 121.4737, 5.0),  # Shanghai
    (46.8426, -91.9944, 158.5),  # Brighton Beach, Duluth
    (0.0, 0.0, 0.0),
    (-33.8688, 151.2093, 20.0),  # Sydney
    (69.6492, 18.9553, 3000.0),  # Tromsø, high up
]


@pytest.mark.parametrize(
    ("lat", "lon", "h", "xyz"),
    [
        (0.0, 0.0, 0.0, (WGS84_A_M, 0.0, 0.0)),
        (0.0, 90.0, 100.0, (0.0, WGS84_A_M + 100.0, 0.0)),
        (90.0, 0.0, 0.0, (0.0, 0.0, WGS84_B_M)),
        (-90.0, 0.0, 10.0, (0.0, 0.0, -WGS84_B_M - 10.0)),
    ],
)
def test_geodetic_to_ecef_known_points(lat, lon, h, xyz) -> None:
    np.testing.assert_allclose(geodetic_to_ecef(lat, lon, h), xyz, atol=1e-6)


@pytest.mark.parametrize(
    ("lat", "lon", "h"), [*ORIGINS, (89.9999, 10.0, 5.0), (-45.0, -179.9, -100.0)]
)
def test_ecef_round_trip(lat, lon, h) -> None:
    back = ecef_to_geodetic(*geodetic_to_ecef(lat, lon, h))
    assert back == pytest.approx((lat, lon, h), abs=1e-9)


@pytest.mark.parametrize(("lat0", "lon0", "h0"), ORIGINS)
def test_enu_round_trip_is_sub_millimetre_within_2_km(lat0, lon0, h0) -> None:
    rng = np.random.default_rng(7)
    enu = rng.uniform([-2000, -2000, -50], [2000, 2000, 300], size=(200, 3))
    origin = {"lat0_deg": lat0, "lon0_deg": lon0, "h0_m": h0}
    lat, lon, h = enu_to_geodetic(enu[:, 0], enu[:, 1], enu[:, 2], **origin)
    back = np.column_stack(geodetic_to_enu(lat, lon, h, **origin))
    assert np.abs(back - enu).max() < 1e-3


def test_enu_north_at_the_equator_follows_the_meridian_radius() -> None:
    # meridian radius of curvature at the equator: a (1 - e²)
    m = WGS84_A_M * (1 - coords.WGS84_E2)
    lat, lon, _ = enu_to_geodetic(0.0, 1000.0, 0.0, lat0_deg=0.0, lon0_deg=0.0)
    assert lat == pytest.approx(math.degrees(1000.0 / m), abs=1e-9)
    assert lon == pytest.approx(0.0, abs=1e-12)


def test_enu_agrees_with_haversine_to_half_a_percent() -> None:
    lat, lon, _ = enu_to_geodetic(600.0, 800.0, 0.0, lat0_deg=39.9, lon0_deg=116.4)
    assert haversine_m(39.9, 116.4, lat, lon) == pytest.approx(1000.0, rel=5e-3)


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((0.0, 0.0), (1.0, 0.0), 111195.08),  # one degree on the mean sphere
        ((39.9, 116.4), (39.9, 116.4), 0.0),
        ((0.0, 0.0), (0.0, 180.0), math.pi * coords.MEAN_EARTH_RADIUS_M),
        ((0.0, 179.9995), (0.0, -179.9995), 111.195),  # across 180°: the short way round
        ((-16.5, -179.999), (-16.5, 179.999), 213.232),  # Fiji, westwards across 180°
        ((60.0, 180.0), (60.0, -180.0), 0.0),  # one meridian, two names
    ],
)
def test_haversine(a, b, metres) -> None:
    assert haversine_m(*a, *b) == pytest.approx(metres, abs=0.01)
    assert isinstance(haversine_m(*a, *b), float)


def test_conversions_are_vectorised_and_keep_shape() -> None:
    lat = np.full((2, 3), 39.9)
    lon = np.linspace(116.0, 116.5, 6).reshape(2, 3)
    for f in (wgs84_to_gcj02, gcj02_to_wgs84, wgs84_to_bd09, bd09_to_wgs84):
        out_lat, out_lon = f(lat, lon)
        assert out_lat.shape == out_lon.shape == (2, 3)
    assert haversine_m(lat, lon, 39.9, 116.0).shape == (2, 3)
    assert isinstance(wgs84_to_gcj02(39.9, 116.4)[0], float)


# --- GCJ-02 / BD-09 ----------------------------------------------------------------

# Published outputs of the common transform: wandergis/coordtransform README
# (wgs84togcj02 etc. at 116.404, 39.915) and googollee/eviltransform python/test.py.
GCJ_REFERENCE = [
    # wgs lat, wgs lon, gcj lat, gcj lon
    (39.915, 116.404, 39.91640428150164, 116.41024449916938),  # Beijing, wandergis
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing, eviltransform
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
]


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), GCJ_REFERENCE)
def test_wgs84_to_gcj02_matches_published_values(wlat, wlon, glat, glon) -> None:
    assert wgs84_to_gcj02(wlat, wlon) == pytest.approx((glat, glon), abs=1e-7)
    offset_m = haversine_m(wlat, wlon, glat, glon)
    assert 100.0 < offset_m < 1000.0  # "a few hundred metres"


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), GCJ_REFERENCE)
def test_gcj02_inverse_recovers_wgs84(wlat, wlon, glat, glon) -> None:
    assert gcj02_to_wgs84(glat, glon) == pytest.approx((wlat, wlon), abs=1e-7)


@pytest.mark.parametrize(
    ("f", "lat", "lon", "expected"),
    [
        # wandergis/coordtransform README, inputs (lng 116.404, lat 39.915)
        (wgs84_to_bd09, 39.915, 116.404, (39.922699552216216, 116.41662724378733)),
        (gcj02_to_bd09, 39.915, 116.404, (39.92133699351021, 116.41036949371029)),
        # its bd09togcj02 is the one-step closed form, ~4e-7 deg from the exact inverse
        (bd09_to_gcj02, 39.915, 116.404, (39.90865673957631, 116.39762729119315)),
    ],
)
def test_bd09_matches_published_values(f, lat, lon, expected) -> None:
    assert f(lat, lon) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(39.9042, 116.4074), (31.2304, 121.4737), (30.5928, 114.3055), (29.5630, 106.5516),
     (43.8256, 87.6168), (18.2528, 109.5119), (45.7567, 126.6424)],
)  # fmt: skip
def test_round_trips_inside_china(lat, lon) -> None:
    glat, glon = wgs84_to_gcj02(lat, lon)
    assert haversine_m(lat, lon, glat, glon) > 1.0
    assert gcj02_to_wgs84(glat, glon) == pytest.approx((lat, lon), abs=1e-9)
    blat, blon = wgs84_to_bd09(lat, lon)
    assert bd09_to_wgs84(blat, blon) == pytest.approx((lat, lon), abs=1e-9)
    assert bd09_to_gcj02(*gcj02_to_bd09(glat, glon)) == pytest.approx((glat, glon), abs=1e-9)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (51.5007, -0.1246),
        (46.8426, -91.9944),
        (-33.8688, 151.2093),
        (40.7128, -74.0060),
        (35.6762, 139.6503),
    ],
)
def test_outside_china_nothing_moves(lat, lon) -> None:
    assert not in_china(lat, lon)
    for f in (
        wgs84_to_gcj02,
        gcj02_to_wgs84,
        wgs84_to_bd09,
        bd09_to_wgs84,
        gcj02_to_bd09,
        bd09_to_gcj02,
    ):
        assert f(lat, lon) == (lat, lon)


def test_in_china_is_elementwise() -> None:
    got = in_china(np.array([39.9, 51.5, 22.5]), np.array([116.4, -0.12, 113.9]))
    np.testing.assert_array_equal(got, [True, False, True])


def test_map_links_carry_converted_coordinates() -> None:
    glat, glon = wgs84_to_gcj02(39.915, 116.404)
    assert f"position={glon:.7f},{glat:.7f}" in amap_marker_url(39.915, 116.404, "堆土")
    blat, blon = wgs84_to_bd09(39.915, 116.404)
    assert f"location={blat:.7f},{blon:.7f}" in baidu_marker_url(39.915, 116.404)
    assert "coord_type=bd09ll" in baidu_marker_url(39.915, 116.404)


@pytest.mark.parametrize(
    ("lon", "wrapped"),
    [
        (0.0, 0.0),
        (180.0, -180.0),
        (-180.0, -180.0),
        (181.5, -178.5),
        (-359.8, 0.2),
        (540.0, -180.0),
    ],
)
def test_wrap_lon_deg(lon: float, wrapped: float) -> None:
    from pipeline.geo.coords import wrap_lon_deg

    assert wrap_lon_deg(lon) == pytest.approx(wrapped)


@pytest.mark.parametrize(
    ("lons", "west", "span"),
    [
        ([114.3], 114.3, 0.0),
        ([114.3, 114.1, 114.2], 114.1, 0.2),
        ([179.9, -179.9, 179.95], 179.9, 0.2),  # across the antimeridian
        ([-179.9, 10.0, 179.9], 10.0, 170.1),  # a stray frame: still the smallest arc
        ([-90.0, 0.0, 90.0], -90.0, 180.0),
    ],
)
def test_lon_arc_is_the_smallest_holding_every_longitude(lons, west, span) -> None:
    from pipeline.geo.coords import lon_arc_deg

    assert lon_arc_deg(lons) == pytest.approx((west, span))


@pytest.mark.parametrize(("lat", "lon_per_lat"), [(0.0, 1.0), (60.0, 2.0), (-60.0, 2.0)])
def test_degrees_around_span_the_radius_either_way(lat: float, lon_per_lat: float) -> None:
    dlat, dlon = coords.degrees_around(lat, 1000.0)
    assert dlon == pytest.approx(dlat * lon_per_lat)
    assert haversine_m(lat, 179.99, lat + dlat, 179.99) == pytest.approx(1000.0, rel=1e-9)
    assert haversine_m(lat, 179.99, lat, 179.99 + dlon) == pytest.approx(1000.0, rel=1e-3)
    assert coords.degrees_around(90.0, 1000.0) == pytest.approx((dlat, 100 * dlat))  # capped
