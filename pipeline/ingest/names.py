"""File names as text a terminal, a JSON reader and the ledger can take.

On Linux a file name is bytes: Python hands names that are not UTF-8 over
with each bad byte as a lone surrogate (``surrogateescape``), which no UTF-8
writer accepts, and a name may hold terminal control characters (ESC, CR,
bidi overrides). :func:`display_path` shows any name as printable text with
such characters escaped (``\\xff``, ``\\x1b``, ``\\u202e``).

The ledger stores a name losslessly as a pair: :func:`stored_name` gives the
display text (always valid, printable UTF-8) and, only when that text is not
the name itself, the name's exact bytes; :func:`opened_name` turns such a pair
back into a path that opens the very file. Whatever prints, stores as text or
serves a name uses the display text; whatever opens the file uses the pair.
"""

from __future__ import annotations

import os

#: Bidirectional controls that reorder what a terminal shows ("Trojan Source").
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_utf8(path: str | os.PathLike[str]) -> bool:
    """True when the name is valid UTF-8 (no bytes Python had to escape)."""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def stored_name(path: str | os.PathLike[str]) -> tuple[str, bytes | None]:
    """``(display text, raw bytes)`` of a name; the bytes are ``None`` when the text is the
    name itself (valid UTF-8 without control characters), as for nearly every name."""
    text = os.fspath(path)
    shown = display_path(text)
    return shown, None if shown == text else os.fsencode(text)


def opened_name(text: str, raw: bytes | None) -> str:
    """The path that opens the file :func:`stored_name` gave ``(text, raw)`` for."""
    return text if raw is None else os.fsdecode(raw)


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` as printable, valid text: bytes that are not UTF-8 become ``\\xNN``,
    control and bidi characters ``\\xNN`` or ``\\uNNNN``; anything else is unchanged."""
    text = os.fspath(path)
    if text.isprintable() and not _BIDI.intersection(text):
        return text
    return "".join(_escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape could not decode
        return f"\\x{code - 0xDC00:02x}"
    if ch in _BIDI or not (ch.isprintable() or (ch.isspace() and code > 0x9F)):
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return ch


def text_safe(value: object) -> object:
    """``value`` (strings, dicts, lists) with every string that is not valid UTF-8 shown
    escaped, ready for a strict UTF-8 writer (JSON).

    It keeps one odd byte anywhere (a frame's path, a camera's Make, an error
    message) from stopping the output; valid text, control characters
    included, is left to the JSON encoder to escape.
    """
    if isinstance(value, str):
        return value if is_utf8(value) else display_path(value)
    if isinstance(value, dict):
        return {k: text_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [text_safe(v) for v in value]
    return value
