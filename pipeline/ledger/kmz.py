"""KMZ export: the KML ledger zipped with each issue's evidence crop, so the photos travel
with the file (a KML's ``file://`` links break once it is sent to anyone).

The archive holds ``doc.kml`` first (Google Earth and 奥维地图 open the first KML of a
KMZ), then ``files/<code>.jpg``; the KML refers to them by relative ``href``. An issue
without a crop keeps the KML's link to its original photo.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from xml.etree import ElementTree as ET

from pipeline.ledger.queries import IssueView


def crop_name(code: str) -> str:
    """The archive member of an issue's crop: ``files/<code>.jpg`` (code made file-safe)."""
    return f"files/{re.sub(r'[^0-9A-Za-z_.-]', '_', code)}.jpg"


def write_kmz(
    issues: Sequence[IssueView],
    out: Path,
    *,
    document: Callable[[Mapping[str, str]], ET.ElementTree],
    crops: Mapping[str, str] | None = None,
) -> None:
    """Write ``out`` as a KMZ: ``doc.kml`` and the crops (``{code: path}``) that exist.
    ``document(images)`` builds the KML showing ``{code: archive member}`` images
    (:func:`pipeline.ledger.export.kml_document`)."""
    present = {code: Path(path) for code, path in (crops or {}).items() if Path(path).is_file()}
    images = {v.code: crop_name(v.code) for v in issues if v.code in present}
    tree = document(images)
    ET.indent(tree)
    root = tree.getroot()
    assert root is not None  # a built document always has its <kml> root
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", ET.tostring(root, encoding="UTF-8", xml_declaration=True))
        for code, member in images.items():  # JPEGs are compressed already: stored
            archive.write(present[code], member, compress_type=zipfile.ZIP_STORED)
