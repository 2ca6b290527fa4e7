"""LICENSE, pyproject and THIRD_PARTY_NOTICES agree, and the notices cover every shipped
third-party file: vendored code, the sample flight, each model's card and weights."""

from __future__ import annotations

import fnmatch
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NOTICES = "THIRD_PARTY_NOTICES"
SEPARATOR = "-" * 72
WEIGHT_SUFFIXES = (".pt", ".onnx", ".npz")


@dataclass(frozen=True)
class Entry:
    text: str
    files: tuple[str, ...]
    licence: str | None


def parse_notices(text: str) -> list[Entry]:
    """The entries after each line of dashes, with their ``Files:`` globs and ``Licence:``."""
    entries = []
    for chunk in text.split(f"\n{SEPARATOR}\n")[1:]:
        lines = chunk.splitlines()
        files = tuple(g for ln in lines if ln.startswith("Files:") for g in ln[6:].split())
        licence = next((ln[8:].strip() for ln in lines if ln.startswith("Licence:")), None)
        entries.append(Entry(chunk, files, licence))
    return entries


def shipped_third_party(root: Path) -> list[str]:
    """Files that need a notice: under every ``vendor`` folder of the package and
    ``pipeline/data``, and each model folder's card and weights."""
    folders = [p for p in (root / "pipeline").rglob("vendor") if p.is_dir()]
    folders.append(root / "pipeline" / "data")
    found = [f for folder in folders for f in folder.rglob("*") if f.is_file()]
    found += [
        f
        for f in (root / "models").glob("*/*")
        if f.name == "card.yaml" or f.suffix in WEIGHT_SUFFIXES
    ]
    return sorted(f.relative_to(root).as_posix() for f in found if "__pycache__" not in f.parts)


def entry_for(path: str, entries: list[Entry]) -> Entry | None:
    return next((e for e in entries if any(fnmatch.fnmatchcase(path, g) for g in e.files)), None)


def uncovered(root: Path) -> list[str]:
    entries = parse_notices((root / NOTICES).read_text(encoding="utf-8"))
    return [p for p in shipped_third_party(root) if entry_for(p, entries) is None]


def card_disagreements(root: Path) -> list[str]:
    """Each model's notice states its card's weights licence, initial weights and data."""
    entries = parse_notices((root / NOTICES).read_text(encoding="utf-8"))
    problems = []
    for card_path in sorted((root / "models").glob("*/card.yaml")):
        rel = card_path.relative_to(root).as_posix()
        entry = entry_for(rel, entries)
        if entry is None:
            continue  # reported by uncovered()
        licence = yaml.safe_load(card_path.read_text(encoding="utf-8"))["licence"]
        text = " ".join(entry.text.split())
        start = licence["initial_weights"]
        wanted = [start["sha256"], start["licence"]] if start else ["none (trained from random"]
        wanted += [f"{d['name']}: {d['licence']}" for d in licence["data"]]
        problems += [f"{rel}: the notice lacks {w!r}" for w in wanted if w not in text]
        if entry.licence != licence["weights"]:
            problems.append(f"{rel}: licence {licence['weights']}, notice {entry.licence}")
    return problems


def test_every_shipped_third_party_file_has_a_notice() -> None:
    shipped = shipped_third_party(REPO)
    assert "pipeline/review/static/vendor/leaflet/leaflet.js" in shipped
    assert "pipeline/data/sample_flight/brighton-beach/DJI_0030.JPG" in shipped
    assert "models/vehicles/card.yaml" in shipped and "models/water/water.npz" in shipped
    assert uncovered(REPO) == []


def test_each_model_notice_agrees_with_its_card() -> None:
    assert card_disagreements(REPO) == []


def test_a_new_vendored_file_or_model_without_a_notice_is_found(tmp_path: Path) -> None:
    shutil.copyfile(REPO / NOTICES, tmp_path / NOTICES)
    for rel in (
        "pipeline/review/static/vendor/leaflet/leaflet.js",
        "pipeline/review/static/vendor/chart/chart.js",
        "pipeline/data/sample_flight/LICENSE",
        "pipeline/data/other_flight/DJI_0001.JPG",
        "models/new-model/best.onnx",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    card = yaml.safe_load((REPO / "models/vehicles/card.yaml").read_text(encoding="utf-8"))
    (tmp_path / "models/new-model/card.yaml").write_text(yaml.safe_dump(card), encoding="utf-8")
    assert uncovered(tmp_path) == [
        "models/new-model/best.onnx",
        "models/new-model/card.yaml",
        "pipeline/data/other_flight/DJI_0001.JPG",
        "pipeline/review/static/vendor/chart/chart.js",
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda lic: lic.update(weights="MIT"), "licence MIT, notice AGPL-3.0-only"),
        (lambda lic: lic["initial_weights"].update(sha256="1" * 64), "1111"),
        (lambda lic: lic["data"][0].update(licence="CC0-1.0"), "CC0-1.0"),
    ],
)
def test_a_card_that_disagrees_with_its_notice_is_found(
    tmp_path: Path, change, problem: str
) -> None:
    shutil.copyfile(REPO / NOTICES, tmp_path / NOTICES)
    card = yaml.safe_load((REPO / "models/vehicles/card.yaml").read_text(encoding="utf-8"))
    change(card["licence"])
    (tmp_path / "models/vehicles").mkdir(parents=True)
    (tmp_path / "models/vehicles/card.yaml").write_text(yaml.safe_dump(card), encoding="utf-8")
    found = card_disagreements(tmp_path)
    assert len(found) == 1 and problem in found[0]


def test_licence_file_and_package_metadata_agree() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "AGPL-3.0-only"
    assert not [c for c in project.get("classifiers", []) if c.startswith("License ::")]
    for pattern in project["license-files"]:
        assert (REPO / pattern).is_file(), pattern
    head = " ".join((REPO / "LICENSE").read_text(encoding="utf-8").split()[:10])
    assert head == "GNU AFFERO GENERAL PUBLIC LICENSE Version 3, 19 November 2007"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^## Licence$", readme, re.M) and "AGPL-3.0-only" in readme
