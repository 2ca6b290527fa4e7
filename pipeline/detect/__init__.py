"""Detection: 四乱 candidates in full-resolution drone frames.

The pieces, each in its own module:

- :mod:`.taxonomy`: the 四乱 types and subtypes (``configs/taxonomy.yaml``);
- :mod:`.card`: model cards (``models/NAME/card.yaml``) and weight checks;
- :mod:`.detections`: ``Detections``, parallel numpy arrays of boxes;
- :mod:`.tiling` and :mod:`.merge`: tile plans, cutting, shifting back, border merging;
- :mod:`.backends`: ONNX Runtime and PyTorch detectors sharing YOLO11 decoding;
- :mod:`.engine`: every enabled model on one decoded frame, GSD-aware;
- :mod:`.georef`: boxes to ground footprints, centres and areas;
- :mod:`.metrics`: precision/recall/mAP;
- :mod:`.yolo_data`: the one reader of YOLO-format folders (``hehu eval`` and ``hehu train``).

Importing this package loads nothing heavy; numpy loads with the submodules,
OpenCV and onnxruntime inside the functions that use them.
"""
