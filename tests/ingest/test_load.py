"""Files are read whole only when their header makes them a plausible frame."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.errors import BadInputError
from pipeline.ingest import scan_flight
from pipeline.ingest.load import max_file_bytes, read_image_file
from pipeline.ingest.scan import read_frame
from tests.ingest.synth import write_jpeg


@pytest.fixture
def sparse_frame(tmp_path: Path):
    """Make sparse frames (see :func:`make_sparse_frame`); removed after the test."""
    made: list[Path] = []

    def make(path: Path, size: int, seed: int = 0) -> Path:
        made.append(make_sparse_frame(path, size, seed))
        return made[-1]

    yield make
    for path in made:
        path.unlink(missing_ok=True)


def make_sparse_frame(path: Path, size: int, seed: int = 0) -> Path:
    """A real 64×48 JPEG grown to ``size`` bytes with a hole (no disk used); skips the
    test where the file system cannot make sparse files."""
    write_jpeg(path, 64, 48, seed=seed)
    os.truncate(path, size)
    if path.stat().st_blocks * 512 > 1 << 20:
        path.unlink()
        pytest.skip(f"{path.parent} cannot hold sparse files")
    return path


@pytest.mark.parametrize("size", [200 << 20, 6 << 30], ids=["200MiB", "6GiB"])
def test_a_huge_sparse_file_behind_a_jpeg_header_is_set_aside_unread(
    tmp_path, size, sparse_frame
) -> None:
    big = sparse_frame(tmp_path / "DJI_0001.JPG", size)
    write_jpeg(tmp_path / "DJI_0002.JPG", 64, 48, seed=1)
    result = scan_flight(tmp_path)
    assert [Path(f.path).name for f in result.frames] == ["DJI_0002.JPG"]
    (q,) = result.quarantined
    assert (Path(q.path).name, q.size_bytes, q.sha256) == ("DJI_0001.JPG", size, None)
    assert "declares 64×48 px" in q.reason and "without reading it whole" in q.reason
    with pytest.raises(BadInputError, match="without reading it whole"):
        read_frame(big)


def test_the_read_stops_at_the_limit(tmp_path, monkeypatch, sparse_frame) -> None:
    """Never more than the header's pixels can need (plus one byte to tell)."""
    import pipeline.ingest.load as load

    path = sparse_frame(tmp_path / "DJI_0001.JPG", 40 << 20)
    monkeypatch.setattr(load, "max_file_bytes", lambda *a: 50 << 20)  # let the size check pass
    reads: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def read(self, n=-1):
            reads.append(n)
            return self.fh.read(n)

    monkeypatch.setattr(load, "open", lambda p, mode: Spy(real_open(p, mode)), raising=False)
    media_type, data, size = read_image_file(path)
    assert (media_type, size, len(data)) == ("image/jpeg", 40 << 20, 40 << 20)
    assert all(0 <= n <= (50 << 20) + 1 for n in reads), reads


@pytest.mark.parametrize(
    ("media_type", "width", "height", "minimum"),
    [("image/jpeg", 4000, 2250, 9_000_000 * 4.2), ("image/tiff", 640, 512, 640 * 512 * 16)],
)
def test_the_limit_leaves_room_for_any_real_frame(media_type, width, height, minimum) -> None:
    assert max_file_bytes(media_type, width, height) > minimum


def test_real_frames_read_whole(brighton_dir) -> None:
    path = brighton_dir / "DJI_0018.JPG"
    _, data, size = read_image_file(path)
    assert size == len(data) == path.stat().st_size
