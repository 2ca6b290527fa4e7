"""Case dossier (案卷) for enforcement (执法联动): one issue as a PDF, optionally packed with
its original photos.

- :mod:`.content`: everything the dossier shows, read from the ledger once (:func:`gather`);
- :mod:`.pictures`: each sighting's watermarked crop and full-frame thumbnail, from
  originals whose sha256 was checked;
- :mod:`.pdf` and :mod:`.sections`: the PDF (fpdf2, CJK font embedded), drawn by the
  list of sections :data:`pipeline.dossier.sections.SECTIONS`;
- :mod:`.mapdraw`: the map extract, drawn from the ledger's geometry;
- :mod:`.package`: the PDF written atomically, and the zip with the originals, the
  crops and ``SHA256SUMS``.

Importing this package loads nothing heavy: fpdf2 and OpenCV are imported when used.
"""
