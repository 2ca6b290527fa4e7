"""The dossier written out: the PDF, and on request a zip beside it holding the PDF, the
original photos, the crops, ``SHA256SUMS`` (``sha256sum -c`` checks it) and ``manifest.json``.

Both are written beside their target and renamed into place
(:func:`pipeline.fileio.write_asked_file`): a path that cannot be written is one line
saying how to fix it, and nothing half-written stays.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from pipeline.dossier.content import Dossier, original_paths
from pipeline.dossier.pdf import Section, make_pdf
from pipeline.dossier.sections import SECTIONS
from pipeline.fileio import write_asked_file


def render(dossier: Dossier, sections: Sequence[Section] | None = None) -> bytes:
    """The dossier as PDF bytes, drawn by ``sections`` (default :data:`SECTIONS`)."""
    stamp = dossier.made_at.astimezone(dossier.tz).strftime("%Y-%m-%d %H:%M")
    pdf: Any = make_pdf(dossier.issue.code, stamp)
    pdf.add_page()
    for section in SECTIONS if sections is None else sections:
        section(pdf, dossier)
    return bytes(pdf.output())


def pack(dossier: Dossier, pdf: bytes, out: Path | BinaryIO) -> None:
    """Write the zip: ``CODE.pdf``, ``originals/``, ``crops/``, ``SHA256SUMS``, ``manifest.json``
    (the originals' sha256 are the ledger's, checked when the dossier was gathered)."""
    code = dossier.issue.code
    sums: list[tuple[str, str]] = [(hashlib.sha256(pdf).hexdigest(), f"{code}.pdf")]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{code}.pdf", pdf)
        for member, path, digest in original_paths(dossier):  # JPEGs: stored, not deflated
            archive.write(path, member, compress_type=zipfile.ZIP_STORED)
            sums.append((digest, member))
        for s in dossier.sightings:
            if s.pictures.crop is not None:
                member = f"crops/{s.number:02d}_{s.pictures.crop_name}"
                archive.writestr(member, s.pictures.crop, compress_type=zipfile.ZIP_STORED)
                sums.append((hashlib.sha256(s.pictures.crop).hexdigest(), member))
        archive.writestr("SHA256SUMS", "".join(f"{h}  {m}\n" for h, m in sums))
        manifest = {
            "code": code,
            "made_at_utc": dossier.made_at.isoformat(),
            "crs": "WGS-84 (EPSG:4326) = CGCS2000 (EPSG:4490) to cm-dm",
            "lat": dossier.issue.lat,
            "lon": dossier.issue.lon,
            "files": [
                {"role": f.role, "name": f.name, "sha256": f.sha256, "verified": f.verified}
                for f in dossier.files
            ],
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))


def write_dossier(dossier: Dossier, out: Path, *, with_zip: bool = False) -> list[Path]:
    """Write the PDF at ``out`` and, with ``with_zip``, the zip beside it (``out`` with
    ``.zip``); returns the paths written."""
    pdf = render(dossier)

    def write_pdf(part: Path) -> None:
        part.write_bytes(pdf)

    written = [write_asked_file(out, write_pdf, example="案卷.pdf")]
    if with_zip:
        target = out.with_suffix(".zip")
        written.append(write_asked_file(target, lambda part: pack(dossier, pdf, part),
                                        example="案卷.zip"))  # fmt: skip
    return written
