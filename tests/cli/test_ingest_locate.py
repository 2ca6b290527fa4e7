"""``hehu ingest`` and ``hehu locate`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.cli import main
from tests.ingest.synth import write_jpeg


def run_json(capsys, *argv: str) -> list[dict]:
    assert main(list(argv)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_ingest_brighton_json(capsys, shared_data) -> None:
    lines = run_json(capsys, "ingest", str(shared_data / "brighton_beach"), "--json",
                     "--no-yaw-check")  # fmt: skip
    frames = [r for r in lines if not r["quarantined"]]
    assert len(frames) == 18
    for r in frames:
        assert r["lat"] == pytest.approx(46.84, abs=0.01)
        assert r["lon"] == pytest.approx(-91.99, abs=0.01)
        assert r["rel_alt_m"] == pytest.approx(40, abs=1)
        assert r["gimbal_pitch_deg"] == pytest.approx(-90, abs=0.5)
        assert r["gsd_cm_per_px"] == pytest.approx(1.7, abs=0.05)
        assert r["footprint"][0] == r["footprint"][-1]
        assert r["camera_source"] == "sensor-table"
    set_aside = {Path(r["path"]).name: r["reason"] for r in lines if r["quarantined"]}
    assert set(set_aside) == {"LICENSE", "README.md"}


def strict_json(line: str) -> dict:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(line, parse_constant=refuse)


def test_ingest_json_is_strict_for_frames_looking_at_the_horizon(capsys, tmp_path) -> None:
    for i, pitch in enumerate([0.0, 5.0, 30.0, -90.0]):
        write_jpeg(tmp_path / f"f{i}.JPG", 400, 300, lon=114.0 + i * 1e-5, gimbal_pitch=pitch)
    assert main(["ingest", str(tmp_path), "--json", "--no-yaw-check"]) == 0
    lines = [strict_json(line) for line in capsys.readouterr().out.splitlines()]
    by_pitch = {r["gimbal_pitch_deg"]: r for r in lines}
    for pitch in (0.0, 5.0, 30.0):
        assert by_pitch[pitch]["gsd_cm_per_px"] is None
        assert "horizon" in by_pitch[pitch]["georef_error"]
    assert by_pitch[-90.0]["gsd_cm_per_px"] > 0 and by_pitch[-90.0]["georef_error"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": float("nan"), "b": [1.5, float("inf")], "c": (float("-inf"),)},
         '{"a": null, "b": [1.5, null], "c": [null]}'),
        ({"n": 3, "s": "NaN", "t": True}, '{"n": 3, "s": "NaN", "t": true}'),
    ],
)  # fmt: skip
def test_strict_dumps_writes_null_for_non_finite_numbers(value, expected) -> None:
    from pipeline.cli.jsonout import strict_dumps

    assert strict_dumps(value) == expected


def test_ingest_table_ends_with_a_summary(capsys, tmp_path) -> None:
    write_jpeg(tmp_path / "a.JPG")
    (tmp_path / "empty.JPG").write_bytes(b"")
    assert main(["ingest", str(tmp_path), "--no-yaw-check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "1 frames ingested, 1 of 2 files set aside"
    assert any("empty.JPG" in line and "0 bytes" in line for line in out)


def test_ingest_missing_folder_is_a_clear_error(capsys, tmp_path) -> None:
    assert main(["ingest", str(tmp_path / "nope")]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_locate_every_brighton_frame(capsys, shared_data) -> None:
    for image in sorted((shared_data / "brighton_beach").glob("*.JPG")):
        (centre,) = run_json(capsys, "locate", str(image), "--px", "2000,1125", "--json",
                             "--no-yaw-check")  # fmt: skip
        assert set(centre) == {"u", "v", "lat", "lon", "range_m", "yaw_check", "yaw_offset_deg",
                               "yaw_check_detail", "ground"}  # fmt: skip
        assert centre["yaw_check"] == "off" and "--no-yaw-check" in centre["yaw_check_detail"]
        assert centre["lat"] == pytest.approx(46.84, abs=0.01)
        assert centre["range_m"] == pytest.approx(40, abs=1)


def test_locate_resized_sample_matches_original(capsys, shared_data, sample_flight) -> None:
    (small,) = run_json(
        capsys, "locate", str(sample_flight / "DJI_0031.JPG"), "--px", "400,300", "--json"
    )
    (full,) = run_json(capsys, "locate", str(shared_data / "brighton_beach" / "DJI_0031.JPG"),
                       "--px", "1000,750", "--json")  # fmt: skip
    assert small["lat"] == pytest.approx(full["lat"], abs=1e-7)
    assert small["lon"] == pytest.approx(full["lon"], abs=1e-7)


def test_locate_above_the_horizon_gives_null_with_reason(capsys, tmp_path) -> None:
    image = write_jpeg(tmp_path / "oblique.JPG", 400, 300, gimbal_pitch=-10.0)
    top, bottom = run_json(
        capsys, "locate", str(image), "--px", "200,0", "--px", "200,300", "--json"
    )
    assert top["lat"] is None and top["lon"] is None and top["reason"]
    assert bottom["lat"] is not None and bottom["range_m"] > 40


def test_locate_bad_pixel_argument(capsys, tmp_path) -> None:
    with pytest.raises(SystemExit):
        main(["locate", str(write_jpeg(tmp_path / "a.JPG")), "--px", "12"])
    assert "expected U,V" in capsys.readouterr().err


LASER_XMP = {"LRFStatus": "Normal", "LRFTargetDistance": "115.00", "LRFTargetAlt": "-20.00"}


def test_ingest_shows_the_laser_ground_and_its_disagreement(capsys, tmp_path) -> None:
    """95 m above take-off, the laser reads ground 20 m below it: laser ground, flat
    ground 17 % off the laser range (flagged above 10 %)."""
    write_jpeg(tmp_path / "laser.JPG", 400, 300, rel_alt_m=95.0, xmp_extra=LASER_XMP)
    write_jpeg(tmp_path / "plain.JPG", 400, 300, rel_alt_m=95.0)
    lines = run_json(capsys, "ingest", str(tmp_path), "--json", "--no-yaw-check")
    by_name = {Path(r["path"]).name: r for r in lines}
    laser, plain = by_name["laser.JPG"], by_name["plain.JPG"]
    assert (laser["ground"], laser["ground_z_m"]) == ("laser", -20.0)
    assert laser["flat_disagreement"] == pytest.approx(20 / 115, abs=1e-4)
    assert laser["ground_flagged"] is True
    assert laser["lrf_status"] == "Normal" and laser["lrf_target_alt_m"] == -20.0
    assert laser["gsd_cm_per_px"] / plain["gsd_cm_per_px"] == pytest.approx(115 / 95, rel=1e-3)
    assert (plain["ground"], plain["flat_disagreement"], plain["ground_flagged"]) == (
        "flat",
        None,
        False,
    )
    assert main(["ingest", str(tmp_path), "--no-yaw-check"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert "ground" in table[0].split()
    assert any(line.startswith("laser.JPG") and " laser 17%! " in line for line in table)
    assert any(line.startswith("plain.JPG") and " flat " in line for line in table)


def test_locate_applies_the_flows_yaw_correction(capsys, shared_data) -> None:
    """DJI_0025 records a yaw turned by 180°: locate turns it back as the flow does."""
    from pipeline.geo.georef import georeference
    from pipeline.ingest import read_frame

    image = shared_data / "brighton_beach" / "DJI_0025.JPG"
    (corner,) = run_json(capsys, "locate", str(image), "--px", "0,0", "--json")
    assert (corner["yaw_check"], corner["yaw_offset_deg"]) == ("flipped", 180.0)
    flow = georeference(read_frame(image), yaw_offset_deg=180.0).locate([(0.0, 0.0)])
    assert (corner["lat"], corner["lon"]) == pytest.approx(
        (flow.lat_deg[0], flow.lon_deg[0]), abs=1e-7
    )
    (recorded,) = run_json(capsys, "locate", str(image), "--px", "0,0", "--json",
                           "--no-yaw-check")  # fmt: skip
    assert recorded["lat"] != pytest.approx(corner["lat"], abs=1e-5)


def test_locate_says_a_single_frame_cannot_be_yaw_checked(capsys, shared_data, tmp_path) -> None:
    image = tmp_path / "DJI_0025.JPG"
    image.write_bytes((shared_data / "brighton_beach" / "DJI_0025.JPG").read_bytes())
    assert main(["locate", str(image)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("yaw: unchecked, a single frame cannot be yaw-checked")
    assert first.endswith("recorded yaw used")


@pytest.mark.parametrize("px", ["-1,10", "10,-0.5", "401,10", "10,300.5"])
def test_locate_refuses_pixels_outside_the_image(capsys, tmp_path, px) -> None:
    image = write_jpeg(tmp_path / "a.JPG", 400, 300)
    assert main(["locate", str(image), "--px", "200,150", f"--px={px}"]) == 1
    captured = capsys.readouterr()
    assert "outside the 400 × 300 px image" in captured.err and captured.out == ""


def test_locate_takes_the_edges_and_the_laser_ground(capsys, tmp_path) -> None:
    image = write_jpeg(tmp_path / "a.JPG", 400, 300, rel_alt_m=95.0, xmp_extra=LASER_XMP)
    centre, edge = run_json(capsys, "locate", str(image), "--px", "200,150", "--px", "400,300",
                            "--json")  # fmt: skip
    assert centre["range_m"] == pytest.approx(115.0)
    assert centre["ground"].startswith("laser") and "17%" in centre["ground"]
    assert edge["lat"] is not None


def test_locate_footprint_is_cut_at_the_configured_range(capsys, tmp_path) -> None:
    from pipeline.geo.coords import haversine_m

    config = tmp_path / "hehu.yaml"
    config.write_text("geo:\n  footprint_max_range_m: 300\n", encoding="utf-8")
    image = write_jpeg(tmp_path / "oblique.JPG", 400, 300, gimbal_pitch=-5.0)
    lines = run_json(capsys, "locate", str(image), "--json", "--footprint", "--config",
                     str(config))  # fmt: skip
    footprint = lines[-1]
    assert footprint["max_range_m"] == 300.0
    far = max(haversine_m(lat, lon, 46.8426, -91.9944) for lat, lon in footprint["footprint"])
    assert far == pytest.approx(300.0, rel=0.01)  # the sky is cut, not drawn to kilometres


def test_ingest_flags_by_the_configured_share(capsys, tmp_path) -> None:
    flight = tmp_path / "flight"
    flight.mkdir()
    write_jpeg(flight / "laser.JPG", 400, 300, rel_alt_m=95.0, xmp_extra=LASER_XMP)
    config = tmp_path / "hehu.yaml"
    config.write_text("geo:\n  max_flat_disagreement: 0.2\n", encoding="utf-8")
    (laser,) = run_json(capsys, "ingest", str(flight), "--json", "--no-yaw-check", "--config",
                        str(config))  # fmt: skip
    assert laser["ground"] == "laser" and laser["ground_flagged"] is False  # 17 % < 20 %


def test_locate_and_ingest_use_the_dem_named_in_the_config(capsys, tmp_path) -> None:
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    dem = tmp_path / "dem.tif"
    corner = from_origin(-92.0044, 46.8526, 0.0001, 0.0001)  # 200 × 200 cells around the frame
    with rasterio.open(dem, "w", driver="GTiff", height=200, width=200, count=1,
                       dtype="float32", crs="EPSG:4326", transform=corner) as dst:  # fmt: skip
        dst.write(np.full((1, 200, 200), 80.0, dtype="float32"))
    config = tmp_path / "hehu.yaml"
    config.write_text(f"geo:\n  dem: {dem}\n", encoding="utf-8")
    flight = tmp_path / "flight"
    flight.mkdir()
    image = write_jpeg(flight / "a.JPG", 400, 300, rel_alt_m=95.0, abs_alt_m=195.0)
    (centre,) = run_json(capsys, "locate", str(image), "--json", "--config", str(config))
    assert centre["ground"].startswith("dem")
    assert centre["range_m"] == pytest.approx(115.0, abs=0.01)  # DEM 80 m, take-off 100 m
    (record,) = run_json(capsys, "ingest", str(flight), "--json", "--no-yaw-check", "--config",
                         str(config))  # fmt: skip
    assert (record["ground"], record["ground_z_m"]) == ("dem", -20.0)


def test_ingest_measures_the_dem_offset_from_the_laser(capsys, tmp_path) -> None:
    """The DEM's heights lie 30 m above the drone's datum (ground at 80 + 30 = 110 in DEM
    terms); three laser readings of ground 20 m below take-off measure that."""
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    dem = tmp_path / "dem.tif"
    corner = from_origin(-92.0044, 46.8526, 0.0001, 0.0001)
    with rasterio.open(dem, "w", driver="GTiff", height=200, width=200, count=1,
                       dtype="float32", crs="EPSG:4326", transform=corner) as dst:  # fmt: skip
        dst.write(np.full((1, 200, 200), 110.0, dtype="float32"))
    config = tmp_path / "hehu.yaml"
    config.write_text(f"geo:\n  dem: {dem}\n  dem_offset_m: auto\n", encoding="utf-8")
    flight = tmp_path / "flight"
    flight.mkdir()
    for i in range(3):
        write_jpeg(flight / f"{i}.JPG", 400, 300, rel_alt_m=95.0, abs_alt_m=195.0,
                   lat=46.8426 + i * 1e-5, xmp_extra=LASER_XMP)  # fmt: skip
    records = run_json(capsys, "ingest", str(flight), "--json", "--no-yaw-check", "--config",
                       str(config))  # fmt: skip
    assert {(r["ground"], r["ground_z_m"], r["dem_residual_m"]) for r in records} == {
        ("dem", -20.0, 0.0)
    }
    assert main(["ingest", str(flight), "--no-yaw-check", "--config", str(config)]) == 0
    assert "DEM offset +30.0 m (spread 0.0 m) from 3 laser ties" in capsys.readouterr().out
    (centre,) = run_json(capsys, "locate", str(flight / "0.JPG"), "--json", "--config",
                         str(config))  # fmt: skip
    assert centre["range_m"] == pytest.approx(115.0, abs=0.01)  # on the calibrated DEM
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(f"geo:\n  dem: {dem}\n", encoding="utf-8")  # taken on the drone's datum
    records = run_json(capsys, "ingest", str(flight), "--json", "--no-yaw-check", "--config",
                       str(fixed))  # fmt: skip
    assert {(r["ground_z_m"], r["dem_residual_m"], r["ground_flagged"]) for r in records} == {
        (10.0, 30.0, True)
    }
