"""Change between flights: pair frames, register them, compare, recheck earlier boxes.

The pieces, each in its own module (numpy at import; OpenCV inside the functions):

- :mod:`pipeline.change.pairing`: each new frame's best earlier frames by ground
  overlap, GSD and view angle (``pair_frames``), and the geotags' prior mapping;
- :mod:`pipeline.change.register`: tie points and a homography or affine model,
  residual in pixels and metres, the offices' 2 px rule (``register_pair``);
- :mod:`pipeline.change.compare`: a per-pixel change score robust to light (``compare``);
  :mod:`pipeline.change.deep` adds the COCO backbone's features (``method="norm+coco"``);
- :mod:`pipeline.change.regions`: changed regions with their area in m² (``change_regions``);
- :mod:`pipeline.change.recheck`: still present / gone / cannot tell for an earlier
  evidence box, and the before/after picture (``recheck_box``, ``before_after``;
  a detector's say in :mod:`pipeline.change.detector_check`).
"""
