"""Strict JSON for the command line: ``null``, never ``NaN`` or ``Infinity``.

Python's :func:`json.dumps` writes a non-finite float as ``NaN``/``Infinity``,
which no strict JSON parser accepts (``jq``, JavaScript's ``JSON.parse``). A
number that is not finite is unknown, so it is written as ``null``.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite_or_null(value: Any) -> Any:
    """``value`` with every non-finite float (at any depth) replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_null(v) for v in value]
    return value


def strict_dumps(value: Any, **kwargs: Any) -> str:
    """:func:`json.dumps` of :func:`finite_or_null` ``(value)``, refusing any NaN left."""
    return json.dumps(finite_or_null(value), allow_nan=False, **kwargs)
