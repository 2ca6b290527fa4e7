"""The change package loads no heavy dependency at import."""

from __future__ import annotations

import json
import subprocess
import sys

MODULES = ("pairing", "register", "compare", "regions", "recheck", "detector_check", "deep")


def test_change_modules_import_without_opencv_or_torch() -> None:
    imports = ";".join(f"import pipeline.change.{m}" for m in MODULES)
    code = (
        f"import json, sys; {imports}; print(json.dumps([m for m in ('cv2', 'torch', "
        "'ultralytics', 'shapely') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
