"""hehu: drone river-patrol frames to a 四乱 problem ledger.

Importing this package is cheap: heavy dependencies (torch, ultralytics,
onnxruntime, exifread, cv2) load inside the functions that need them.
"""

__version__ = "0.1.0"
