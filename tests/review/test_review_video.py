"""A candidate seen in a video: its sighting opens the video at the frame's time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.helpers import SAMPLE_FLIGHT
from tests.review.review_helpers import add_users, candidate_codes, log_in
from tests.video.synth import video_flight_config, write_test_video


@pytest.fixture
def video_ledger(tmp_path: Path, hasher) -> tuple[str, Path]:
    """A ledger the test video was run into (candidates: the sample's cars), and the video."""
    from pipeline.stages import run_flight

    folder = tmp_path / "flight"
    made = write_test_video(folder, sorted(SAMPLE_FLIGHT.glob("*.JPG"))[:2])
    _, config = video_flight_config(tmp_path)
    assert run_flight(folder, config).created
    url = config.db_url()
    add_users(url, hasher)
    return url, made.video


def test_a_video_sighting_links_to_the_video_at_its_time(make_app, video_ledger) -> None:
    url, video = video_ledger
    with TestClient(make_app(url), headers={"accept": "text/html"}) as client:
        assert log_in(client, "rev").status_code == 303
        page = client.get(f"/issues/{candidate_codes(url)[0]}")
        assert page.status_code == 200
        link = re.search(r'href="(/media/video/(\d+))#t=(\d+\.\d{3})"', page.text)
        assert link is not None, page.text
        shown = f"DJI_0001.MP4 (at )?00:00:{float(link.group(3)):06.3f}"
        assert re.search(f"(Video |视频 ){shown}", page.text), page.text
        player = client.get(link.group(1))
        assert player.status_code == 200
        assert f'src="/media/video/{link.group(2)}/file#t={link.group(3)}"' in player.text
        whole = client.get(f"/media/video/{link.group(2)}/file")
        assert whole.status_code == 200 and whole.content == video.read_bytes()
        assert whole.headers["content-type"] == "video/mp4"
        part = client.get(f"/media/video/{link.group(2)}/file", headers={"range": "bytes=0-99"})
        assert part.status_code == 206 and part.content == video.read_bytes()[:100]
        video.write_bytes(video.read_bytes() + b"x")  # changed since it was read: not served
        assert client.get(f"/media/video/{link.group(2)}/file").status_code == 404
        assert client.get(link.group(1)).status_code == 404


def test_a_photo_has_no_video(client_for) -> None:
    client = client_for("rev")
    assert client.get("/media/video/1").status_code == 404
    assert client.get("/media/video/1/file").status_code == 404
    assert client.get("/media/video/999999/file").status_code == 404


def test_video_needs_a_login(client_for) -> None:
    assert client_for(None).get("/media/video/1/file").status_code in (303, 401, 403)
