"""Walking a flight folder: fixed order, hidden folders skipped, loops cut."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest.walk import walk_files


def test_sorted_recursive_order_and_problems(tmp_path: Path) -> None:
    for rel in ["b.JPG", "a/z.JPG", "a/b/c.JPG", "A.JPG", ".hidden/x.JPG", "._a.JPG"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    (tmp_path / "a" / "up").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "broken.JPG").symlink_to(tmp_path / "nowhere")
    entries = list(walk_files(tmp_path))
    rel = [str(e.path.relative_to(tmp_path)) for e in entries]
    assert rel == ["._a.JPG", "A.JPG", "a/b/c.JPG", "a/z.JPG", "b.JPG", "broken.JPG"]
    assert [e.reason is None for e in entries] == [True] * 5 + [False]
    assert list(walk_files(tmp_path)) == entries  # deterministic
