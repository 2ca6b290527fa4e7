"""Training detectors from labelled imagery: datasets, source splits, chips, training.

Stages, each in its own module:

- :mod:`pipeline.train.datasets` reads a YOLO folder (with
  :mod:`pipeline.detect.yolo_data`) or a COCO json into
  :class:`~pipeline.train.datasets.LabelledImage` records;
- :mod:`pipeline.train.sources` groups frames by source (video, scene, place),
  finds duplicates and splits train / val / held-out by whole sources;
- :mod:`pipeline.train.scale` estimates each source's ground resolution from
  object sizes when frames carry no geotag;
- :mod:`pipeline.train.chips` cuts 640-px chips at the card's ground resolution
  and writes an ultralytics dataset;
- :mod:`pipeline.train.trainer` trains, exports ONNX, evaluates on the held-out
  part and writes ``models/NAME/card.yaml`` (:mod:`pipeline.train.card`).

The recipe for one model (classes, class map, scale, held-out sources) is
:class:`pipeline.train.recipe.Recipe`, read from ``models/NAME/train.yaml``.
"""
