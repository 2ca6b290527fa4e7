"""Other makers' XMP attitude, in their own syntax, mapped onto DJI's fields and convention."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.geo.georef import georeference
from pipeline.geo.pose import euler_zyx_matrix, rotation_cam_to_enu
from pipeline.ingest.makers import maker_fields, parse_frame_xmp, pix4d_fields
from pipeline.ingest.scan import read_frame
from pipeline.ingest.xmp import parse_dji_xmp
from pipeline.records import DjiXmp
from tests.ingest.synth import dji_xmp_packet, jpeg_bytes

NS = {
    "drone-parrot": "http://www.parrot.com/drone-parrot/1.0/",
    "Camera": "http://pix4d.com/camera/1.0/",
    "drone-skydio": "https://www.skydio.com/drone-skydio/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
}


def packet(body: str = "", attrs: str = "", about: str = "") -> bytes:
    """An XMP packet whose one rdf:Description carries ``attrs`` and holds ``body``."""
    decls = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="{about}" {decls} {attrs}>{body}</rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def props(prefix: str, values: dict[str, str], form: str) -> dict[str, str]:
    """``{"attrs": …}`` or ``{"body": …}`` writing ``values`` under ``prefix``."""
    if form == "attribute":
        return {"attrs": " ".join(f'{prefix}:{k}="{v}"' for k, v in values.items())}
    return {"body": "".join(f"<{prefix}:{k}>{v}</{prefix}:{k}>" for k, v in values.items())}


# Parrot's documented example (Embedded Photo Metadata, ANAFI Ai): the same capture in
# both namespaces.
PARROT_NED = {"CameraRollDegree": "-0.052789", "CameraPitchDegree": "-51.988888",
              "CameraYawDegree": "146.848038"}  # fmt: skip
PARROT_PIX4D = {"Roll": "-0.041258", "Pitch": "38.011101", "Yaw": "146.781036",
                "AboveGroundAltitude": "11485529/262144"}  # fmt: skip


@pytest.mark.parametrize("form", ["attribute", "element"])
def test_parrot_camera_angles_are_dji_angles(form) -> None:
    xmp = parse_frame_xmp(packet(**props("drone-parrot", PARROT_NED, form)))
    assert xmp == DjiXmp(gimbal_yaw_deg=146.848038, gimbal_pitch_deg=-51.988888,
                         gimbal_roll_deg=-0.052789)  # fmt: skip


def test_parrot_both_namespaces_agree_and_give_the_height() -> None:
    both = packet(**props("drone-parrot", PARROT_NED, "element"),
                  attrs=props("Camera", PARROT_PIX4D, "attribute")["attrs"])  # fmt: skip
    xmp = parse_frame_xmp(both)
    assert (xmp.gimbal_yaw_deg, xmp.gimbal_pitch_deg) == (146.848038, -51.988888)
    assert xmp.rel_alt_m == pytest.approx(11485529 / 262144)  # 43.81 m
    # Pix4D's angles alone, converted, give Parrot's NED angles: the conversion is right
    alone = pix4d_fields(packet(**props("Camera", PARROT_PIX4D, "element")))
    assert (alone["gimbal_yaw_deg"], alone["gimbal_pitch_deg"], alone["gimbal_roll_deg"]) == (
        pytest.approx(146.848038, abs=1e-4),
        pytest.approx(-51.988888, abs=1e-4),
        pytest.approx(-0.052789, abs=1e-4),
    )


@pytest.mark.parametrize(
    ("pix4d", "dji"),
    [
        ((0.0, 0.0, 0.0), (0.0, -90.0, 0.0)),  # nadir, top of the image north
        ((90.0, 0.0, 0.0), (90.0, -90.0, 0.0)),  # nadir, top of the image east
        ((0.0, 90.0, 0.0), (0.0, 0.0, 0.0)),  # looking forward, north
        ((270.0, 30.0, 0.0), (-90.0, -60.0, 0.0)),  # 60° below the horizon, west
    ],
)
def test_pix4d_convention_table(pix4d, dji) -> None:
    yaw, pitch, roll = pix4d
    fields = pix4d_fields(packet(attrs=f'Camera:Yaw="{yaw}" Camera:Pitch="{pitch}" '
                                 f'Camera:Roll="{roll}"'))  # fmt: skip
    got = (fields["gimbal_yaw_deg"], fields["gimbal_pitch_deg"], fields["gimbal_roll_deg"])
    assert got == pytest.approx(dji, abs=1e-9)


@pytest.mark.parametrize("pix4d", [(30.0, 40.0, 5.0), (200.0, 10.0, -12.0), (-75.0, 85.0, 3.0)])
def test_pix4d_conversion_keeps_where_the_camera_looks(pix4d) -> None:
    """Pix4D's body frame looks down its own down axis with the top of the image forward;
    the converted DJI angles give the same optical axis and image-up direction."""
    body = euler_zyx_matrix(*pix4d)  # body (forward, right, down) in NED
    axis_ned, up_ned = body @ [0.0, 0.0, 1.0], body @ [1.0, 0.0, 0.0]
    f = pix4d_fields(packet(attrs=f'Camera:Yaw="{pix4d[0]}" Camera:Pitch="{pix4d[1]}" '
                                  f'Camera:Roll="{pix4d[2]}"'))  # fmt: skip
    cam = rotation_cam_to_enu(f["gimbal_yaw_deg"], f["gimbal_pitch_deg"], f["gimbal_roll_deg"])
    ned_to_enu = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
    np.testing.assert_allclose(cam[:, 2], ned_to_enu @ axis_ned, atol=1e-9)
    np.testing.assert_allclose(-cam[:, 1], ned_to_enu @ up_ned, atol=1e-9)


def test_pix4d_without_roll_writes_no_roll() -> None:
    fields = pix4d_fields(packet(attrs='Camera:Yaw="45" Camera:Pitch="30"'))
    assert fields == {
        "gimbal_yaw_deg": pytest.approx(45.0),
        "gimbal_pitch_deg": pytest.approx(-60.0),
    }


def test_sensefly_camera_roll_is_turned_the_other_way() -> None:
    attrs = 'Camera:Yaw="10" Camera:Pitch="20" Camera:Roll="4"'
    pix4d = pix4d_fields(packet(attrs=attrs))
    sensefly = pix4d_fields(packet(attrs=attrs).replace(
        NS["Camera"].encode(), b"http://ns.sensefly.com/Camera/1.0/"))  # fmt: skip
    flipped = pix4d_fields(packet(attrs=attrs.replace('"4"', '"-4"')))
    assert sensefly == flipped != pix4d


def test_old_autel_camera_namespace() -> None:
    """A real EVO II frame (OpenAthena's tests): Camera:Pitch 66.04 is 23.96° below the horizon."""
    attrs = 'Camera:Pitch="66.040000" Camera:Yaw="2.420000" Camera:Roll="0.000000"'
    xmp = parse_frame_xmp(packet(attrs=attrs, about="Autel Robotics Meta Data"))
    assert (xmp.gimbal_yaw_deg, xmp.gimbal_pitch_deg, xmp.gimbal_roll_deg) == pytest.approx(
        (2.42, -23.96, 0.0), abs=1e-9
    )


@pytest.mark.parametrize("form", ["attribute", "element"])
def test_new_autel_drone_namespace_reads_as_dji(form) -> None:
    values = {"GimbalPitchDegree": "-45.30", "GimbalYawDegree": "+12.50",
              "GimbalRollDegree": "0.00", "RelativeAltitude": "+80.20",
              "AbsoluteAltitude": "+412.63", "FlightYawDegree": "+11.00"}  # fmt: skip
    # Autel's namespace URI is not documented here: the packet declares none for drone:
    xmp = parse_frame_xmp(packet(**props("drone", values, form), about="DJI Meta Data"))
    assert xmp == DjiXmp(rel_alt_m=80.2, abs_alt_m=412.63, gimbal_yaw_deg=12.5,
                         gimbal_pitch_deg=-45.3, gimbal_roll_deg=0.0,
                         flight_yaw_deg=11.0)  # fmt: skip


SKYDIO_FLU = {"Yaw": "-3.0", "Pitch": "-40.0", "Roll": "0.5"}  # relative to the vehicle: not read
SKYDIO_NED = {"Yaw": "127.444323", "Pitch": "-7.468572", "Roll": "0.186841"}


def skydio_struct(name: str, values: dict[str, str], form: str) -> str:
    if form == "attribute":
        fields = " ".join(f'drone-skydio:{k}="{v}"' for k, v in values.items())
        return f"<drone-skydio:{name} {fields}/>"
    fields = "".join(f"<drone-skydio:{k}>{v}</drone-skydio:{k}>" for k, v in values.items())
    return f'<drone-skydio:{name} rdf:parseType="Resource">{fields}</drone-skydio:{name}>'


@pytest.mark.parametrize("form", ["attribute", "element"])
def test_skydio_camera_orientation_ned(form) -> None:
    body = "".join([
        skydio_struct("CameraOrientationFLU", SKYDIO_FLU, form),
        skydio_struct("CameraOrientationNED", SKYDIO_NED, form),
        skydio_struct("CalibratedFocalLength", {"X": "2376.5625", "Y": "2376.5625"}, form),
        skydio_struct("CalibratedOpticalCenter", {"X": "2027.5000", "Y": "1519.5000"}, form),
        "<drone-skydio:AbsoluteAltitude>1034.441910</drone-skydio:AbsoluteAltitude>",
        "<drone-skydio:RelativeAltitude>61.25</drone-skydio:RelativeAltitude>",
    ])  # fmt: skip
    assert parse_frame_xmp(packet(body=body)) == DjiXmp(
        rel_alt_m=61.25, abs_alt_m=1034.44191, gimbal_yaw_deg=127.444323,
        gimbal_pitch_deg=-7.468572, gimbal_roll_deg=0.186841, calibrated_focal_px=2376.5625,
        optical_center_x_px=2027.5, optical_center_y_px=1519.5,
    )  # fmt: skip


# A real Teal 2 frame's XMP as OpenAthena's DroneImageTeal.swift quotes it.
TEAL = {"CameraPitch": "-86831/1600", "PlatformPitch": "-785007/200000",
        "CameraYaw": "359986359/1000000", "PlatformYaw": "31901593/100000",
        "PlatformRoll": "-1044397/1000000", "CameraRoll": "16501/1000000"}  # fmt: skip


def test_teal_gimbal_is_composed_with_the_airframe() -> None:
    xmp = parse_frame_xmp(packet(**props("exif", TEAL, "element")))
    camera = [(eval_fraction(TEAL[f"Camera{a}"])) for a in ("Yaw", "Pitch", "Roll")]
    platform = [(eval_fraction(TEAL[f"Platform{a}"])) for a in ("Yaw", "Pitch", "Roll")]
    axis = euler_zyx_matrix(*platform) @ euler_zyx_matrix(*camera) @ [1.0, 0.0, 0.0]  # NED
    assert xmp.gimbal_pitch_deg == pytest.approx(math.degrees(math.asin(-axis[2])), abs=1e-9)
    assert xmp.gimbal_yaw_deg == pytest.approx(math.degrees(math.atan2(axis[1], axis[0])))
    # OpenAthena adds the angles instead: 58.19441° below the horizon (the same to 0.05°),
    # heading 319.00° (composing turns the airframe's 1° roll into 1.6° of heading here)
    assert xmp.gimbal_pitch_deg == pytest.approx(-58.19441, abs=0.05)
    assert xmp.gimbal_yaw_deg % 360 == pytest.approx(319.002289, abs=2.0)
    assert (xmp.flight_yaw_deg, xmp.flight_pitch_deg, xmp.flight_roll_deg) == pytest.approx(
        (319.01593, -3.925035, -1.044397)
    )
    assert xmp.rel_alt_m is None  # Teal writes no height above take-off: nothing is assumed


def eval_fraction(text: str) -> float:
    num, den = text.split("/")
    return int(num) / int(den)


def test_teal_gimbal_turned_within_a_turned_airframe() -> None:
    """Gimbal yaw 90° right of an airframe heading 30°, gimbal 40° down: 120°, 40° down."""
    values = {"PlatformYaw": "30", "PlatformPitch": "0", "PlatformRoll": "0",
              "CameraYaw": "90", "CameraPitch": "-40", "CameraRoll": "0"}  # fmt: skip
    xmp = parse_frame_xmp(packet(**props("exif", values, "attribute")))
    assert (xmp.gimbal_yaw_deg, xmp.gimbal_pitch_deg) == pytest.approx((120.0, -40.0))


@pytest.mark.parametrize(
    "incomplete",
    [
        props("drone-parrot", {"CameraYawDegree": "10.0"}, "element"),  # no pitch
        props("drone-parrot", {"CameraPitchDegree": "abc", "CameraYawDegree": "1"}, "element"),
        {"attrs": 'Camera:Pitch="20"'},  # Pix4D pitch without yaw cannot be converted
        props("exif", {k: v for k, v in TEAL.items() if k != "PlatformYaw"}, "element"),
        props("exif", {**TEAL, "PlatformPitch": "1/0"}, "element"),
        {"body": skydio_struct("CameraOrientationFLU", SKYDIO_FLU, "element")},
    ],
)
def test_missing_attitude_stays_missing(incomplete) -> None:
    xmp = parse_frame_xmp(packet(**incomplete))
    assert xmp is None or xmp.gimbal_pitch_deg is None


def test_dji_packets_are_read_as_before() -> None:
    """A DJI packet is DJI's fields alone, even with another maker's angles beside them."""
    dji = dji_xmp_packet(rel_alt_m=40.0, gimbal_pitch=-90.0, gimbal_yaw=5.0)
    mixed = dji.replace(b"<rdf:Description ", b'<rdf:Description Camera:Pitch="45" '
                        b'Camera:Yaw="90" drone-parrot:CameraPitchDegree="-10" ')  # fmt: skip
    assert parse_frame_xmp(mixed) == parse_dji_xmp(dji) == parse_dji_xmp(mixed)
    assert maker_fields(mixed)[0] == "Parrot"


def test_a_parrot_frame_is_placed(tmp_path) -> None:
    """A real JPEG whose attitude is only in Parrot's namespaces is placed on the ground."""
    xmp = packet(**props("drone-parrot", {"CameraPitchDegree": "-90.0",
                                          "CameraYawDegree": "30.0",
                                          "CameraRollDegree": "0.0"}, "element"),
                 attrs='Camera:AboveGroundAltitude="40/1"')  # fmt: skip
    plain = jpeg_bytes(400, 300, xmp_form=None, make="Parrot", model="ANAFI Ai",
                       focal_mm=None, focal_35mm=24)  # fmt: skip
    segment = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    app1 = b"\xff\xe1" + (len(segment) + 2).to_bytes(2, "big") + segment
    path = tmp_path / "P0000001.JPG"
    path.write_bytes(plain[:2] + app1 + plain[2:])
    meta = read_frame(path)
    assert (meta.xmp.gimbal_pitch_deg, meta.xmp.rel_alt_m) == (-90.0, 40.0)
    georef = georeference(meta)
    # 24 mm equivalent on a 4:3 frame: f = 24 / 43.27 × 500 px (the diagonal)
    f_px = 24.0 / math.hypot(36.0, 24.0) * 500.0
    assert georef.gsd_cm_per_px() == pytest.approx(40.0 / f_px * 100.0, rel=1e-6)
    ring = georef.footprint()
    assert len(ring) == 29 and ring[0] == ring[-1]
    # the top of the image faces the heading, 30° east of north
    corners = georef.locate([(0.0, 0.0), (0.0, 300.0)])  # top-left, bottom-left
    north, east = np.diff(corners.north_m), np.diff(corners.east_m)
    assert math.degrees(math.atan2(-east[0], -north[0])) == pytest.approx(30.0)
