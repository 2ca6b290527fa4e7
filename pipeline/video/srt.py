"""A tolerant reader of DJI SRT flight logs (the subtitles DJI records beside a video).

A log is blocks separated by blank lines: an index, a time range
(``00:00:01,000 --> 00:00:02,000``), then lines of fields. Firmwares differ in
everything else, so fields are found by name wherever they stand on a line, in
any of four shapes:

- ``[name : value]`` groups, several pairs to a group (``[rel_alt: 1.3 abs_alt: 72.8]``),
  a pair with an empty value prefixing the next ones (``[Drone: Yaw:-1, Pitch:2]``);
- ``NAME (a, b, c)`` tuples (``GPS (lon, lat, alt)``, ``HOME(…)``, ``G.PRY (…)``);
- ``name: value`` pairs (``SrtCnt : 1, DiffTime : 33ms``, ``BAROMETER:1.4``);
- ``NAME value`` pieces between commas (``D 49.21m``, ``H.S 0.00m/s``, ``F/3.2``).

HTML-ish tags (``<font size="36">``) are dropped, a date and time anywhere on a
line (``2022-08-07 13:40:40,774,808``, ``2017.08.05 14:11:51,393,525``) is the
record's clock. What each name means is :mod:`pipeline.video.srt_fields`. Text
that none of this reads is reported with its line number
(:attr:`SrtLog.unread`), never silently dropped; so are records whose time goes
backwards, and known fields whose value is not a number.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.video.srt_fields import FieldValueError, canonical_fields, is_known

_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_RANGE = re.compile(
    r"(\d+):(\d{2}):(\d{2})[,.](\d{1,3})\s*-->\s*(\d+):(\d{2}):(\d{2})[,.](\d{1,3})"
)
_DATETIME = re.compile(
    r"(\d{4})[-./](\d{1,2})[-./](\d{1,2})[ T]+(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:,\d+)*"
)
_BRACKET = re.compile(r"\[([^\[\]]*)\]")
_TUPLE = re.compile(r"([A-Za-z][\w.]*)\s*\(([^()]*)\)")
_KEY = re.compile(r"([A-Za-z_][\w.]*)\s*:\s*")
_PIECE = re.compile(r"^([A-Za-z][A-Za-z.]*)\s*/?\s*([-+]?\.?\d.*)$")
_INDEX = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Unread:
    """Text of a log that was not read: 1-based ``line`` number, the ``text``, ``why``."""

    line: int
    text: str
    why: str


@dataclass(frozen=True)
class SrtRecord:
    """One block of a log. ``fields``: hehu names with units (``lat_deg``, ``rel_alt_m``,
    ``gimbal_pitch_deg``, ``focal_35mm`` …, :mod:`pipeline.video.srt_fields`);
    ``extra``: other fields under their own names, values as written. ``start_s``/``end_s``
    from the block's time range; ``clock``: the date and time written in the block."""

    line: int
    index: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    clock: dt.datetime | None = None
    fields: dict[str, float] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> float | None:
        return self.fields.get(name)


@dataclass(frozen=True)
class SrtLog:
    """A parsed log: ``records`` in time order with ``times_s`` (seconds from the video's
    start, one per record), and every piece of text not read (``unread``)."""

    records: tuple[SrtRecord, ...]
    times_s: tuple[float, ...]
    unread: tuple[Unread, ...]

    def field_counts(self) -> dict[str, int]:
        """How many records carry each field (hehu names, then ``extra`` names)."""
        counts: Counter[str] = Counter()
        for r in self.records:
            counts.update(list(r.fields) + list(r.extra))
        return dict(sorted(counts.items()))

    def has(self, name: str) -> bool:
        return any(name in r.fields for r in self.records)


def read_srt(path: Path) -> SrtLog:
    """Parse the SRT log at ``path`` (UTF-8 or UTF-16 with a BOM, else Latin-1)."""
    return parse_srt(decode_srt(Path(path).read_bytes()))


def stream_srt(path: Path, unread: list[Unread]) -> Iterator[tuple[float, SrtRecord]]:
    """``(time_s, record)`` of the log at ``path`` one at a time, read as a stream (an
    hour's log need not be held); what is not read is appended to ``unread``."""
    with open(path, encoding=_file_encoding(Path(path))) as fh:
        yield from timed_records(fh, unread)


def _file_encoding(path: Path) -> str:
    """As :func:`decode_srt` decides, reading the file in pieces."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        head = fh.read(4)
        if _encoding(head):
            return "utf-16"
        fh.seek(0)
        try:
            while piece := fh.read(1 << 20):
                decoder.decode(piece)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8-sig"


def _encoding(head: bytes) -> str | None:
    return "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else None


def decode_srt(data: bytes) -> str:
    """The text of a log's bytes: a BOM decides the encoding, else UTF-8, else Latin-1."""
    if _encoding(data[:4]):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_srt(text: str) -> SrtLog:
    """Parse a log's text (any line endings); never raises for what the text holds."""
    unread: list[Unread] = []
    ordered = list(timed_records(text.splitlines(), unread))
    return SrtLog(
        records=tuple(r for _, r in ordered),
        times_s=tuple(t for t, _ in ordered),
        unread=tuple(sorted(unread, key=lambda u: u.line)),
    )


def timed_records(lines: Iterable[str], unread: list[Unread]) -> Iterator[tuple[float, SrtRecord]]:
    """``(time_s, record)`` in the order of ``lines``, records without a time or whose time
    does not move forward reported in ``unread`` and left out (:class:`_Clock`)."""
    clock = _Clock(unread)
    for block in _blocks(lines):
        record = _record(block, unread)
        if record is not None and (t := clock.time_of(record)) is not None:
            yield t, record


def _blocks(lines: Iterable[str]) -> Iterator[list[tuple[int, str]]]:
    """Blocks of ``(line number, text)``: split at blank lines, and before an index line
    followed by a time range (a log that lost its blank lines)."""
    block: list[tuple[int, str]] = []
    ahead = itertools.chain(lines, [""])
    nxt = next(ahead)
    for i, raw in enumerate(ahead):
        raw, nxt = nxt, raw
        line = _TAG.sub(" ", raw.rstrip("\r\n")).strip()
        starts = _INDEX.match(line) is not None and _RANGE.search(nxt) is not None
        if (not line or starts) and block:
            yield block
            block = []
        if line:
            block.append((i + 1, line))
    if block:
        yield block


def _record(block: list[tuple[int, str]], unread: list[Unread]) -> SrtRecord | None:
    first_line, reported = block[0][0], len(unread)
    index = None
    if _INDEX.match(block[0][1]):
        index = int(block[0][1])
        block = block[1:]
    start = end = clock = None
    fields: dict[str, float] = {}
    extra: dict[str, str] = {}
    for number, line in block:
        if (m := _RANGE.search(line)) is not None:
            start, end = _seconds(m.groups()[:4]), _seconds(m.groups()[4:])
            line = line[: m.start()] + " " + line[m.end() :]
        if (m := _DATETIME.search(line)) is not None:
            clock = _clock(m)
            line = line[: m.start()] + " " + line[m.end() :]
        for name, raw in _tokens(line, number, unread):
            _take(name, raw, number, fields, extra, unread)
    if start is None and clock is None and not fields:
        del unread[reported:]  # said once for the whole block
        if block or index is None:
            why = "no time range, date or known field in this block"
            unread.extend(Unread(n, t, why) for n, t in (block or [(first_line, str(index))]))
        else:
            unread.append(Unread(first_line, str(index), "a block with an index and nothing else"))
        return None
    return SrtRecord(first_line, index, start, end, clock, fields, extra)


def _tokens(line: str, number: int, unread: list[Unread]) -> Iterator[tuple[str, str]]:
    """``(name, raw value)`` pairs of one line in the four shapes the module names."""
    rest = line
    for m in _BRACKET.finditer(line):
        yield from _pairs(m.group(1), number, unread)
    rest = _BRACKET.sub(",", rest)
    for m in _TUPLE.finditer(rest):
        yield m.group(1), m.group(2)
    rest = _TUPLE.sub(",", rest)
    for piece in rest.split(","):
        piece = piece.strip()
        if not piece:
            continue
        if ":" in piece:
            yield from _pairs(piece, number, unread)
        elif (named := _PIECE.match(piece)) is not None:
            yield named.group(1), named.group(2)
        else:
            unread.append(Unread(number, piece, "not a field this reader knows how to split"))


def _pairs(text: str, number: int, unread: list[Unread]) -> Iterator[tuple[str, str]]:
    """``name: value`` pairs; a name with an empty value prefixes the following names."""
    keys = list(_KEY.finditer(text))
    head = text[: keys[0].start()] if keys else text
    if head.strip(" ,;"):
        unread.append(Unread(number, head.strip(), "text before the first 'name: value'"))
    prefix = ""
    for i, key in enumerate(keys):
        value = text[key.end() : keys[i + 1].start() if i + 1 < len(keys) else len(text)]
        value = value.strip().strip(",;").strip()
        if not value:
            prefix = key.group(1) + "."
            continue
        yield prefix + key.group(1), value


def _take(name: str, raw: str, number: int, fields: dict[str, float], extra: dict[str, str],
          unread: list[Unread]) -> None:  # fmt: skip
    try:
        found = canonical_fields(name, raw)
    except FieldValueError as e:
        unread.append(Unread(number, f"{name}: {raw}", f"{name}: {e}"))
        return
    if found is None and "." in name and is_known(name.rsplit(".", 1)[1]):
        found = canonical_fields(name.rsplit(".", 1)[1], raw)  # "[Camera: iso: 100]"
    if found is None:
        extra[name] = raw
    else:
        fields.update(found)


def _seconds(parts: tuple[str, ...]) -> float:
    h, m, s, frac = parts
    return int(h) * 3600 + int(m) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000.0


def _clock(m: re.Match[str]) -> dt.datetime | None:
    y, mo, d, h, mi, s, frac = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))  # "51,393,525": the first group only (ms)
    try:
        return dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro)
    except ValueError:
        return None


class _Clock:
    """Seconds from the video's start, record after record: the time range when the first
    timed record has one, else the date and time against the first record's. A record
    without that, or whose time does not move forward, gets ``None`` and is reported."""

    def __init__(self, unread: list[Unread]) -> None:
        self.unread = unread
        self.use_range: bool | None = None
        self.first: dt.datetime | None = None
        self.last: float | None = None

    def time_of(self, r: SrtRecord) -> float | None:
        if self.use_range is None and (r.start_s is not None or r.clock is not None):
            self.use_range = r.start_s is not None
        if self.first is None:
            self.first = r.clock
        if self.use_range and r.start_s is not None:
            t = r.start_s
        elif self.use_range is False and r.clock is not None and self.first is not None:
            t = (r.clock - self.first).total_seconds()
        else:
            self.unread.append(Unread(r.line, str(r.index or ""), "a record without a time"))
            return None
        if self.last is not None and t <= self.last:
            why = f"time {t:.3f} s does not move forward (after {self.last:.3f} s): record dropped"
            self.unread.append(Unread(r.line, str(r.index or ""), why))
            return None
        self.last = t
        return t
