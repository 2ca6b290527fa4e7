"""The one error hierarchy of hehu.

Every error a user can meet derives from :class:`HehuError`; each subclass also
inherits the builtin a caller would naturally catch (``OSError``, ``ValueError``),
so ``except ValueError`` keeps working around hehu calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, Self


class HehuError(Exception):
    """Root of every error raised on purpose by hehu."""


class BadInputError(HehuError, ValueError):
    """A user's file cannot be used as it is (set it aside, never retry)."""


class UnreadableFileError(BadInputError, OSError):
    """A file exists but its bytes cannot be read or decoded."""


class MissingGeotagError(BadInputError):
    """A frame lacks the position or attitude needed to place it on the ground.

    ``reason`` is a short label of what is missing, for counting frames not placed
    (the message says more); each subclass names one thing.
    """

    reason = "no geotag"


class NoPositionError(MissingGeotagError):
    """The frame has no usable GPS position."""

    reason = "no GPS position"


class NoAttitudeError(MissingGeotagError):
    """The frame has no camera pitch or no heading."""

    reason = "no camera attitude"


class NoHeightError(MissingGeotagError):
    """The frame has no height above take-off (and none was given)."""

    reason = "no height above take-off"


class _Invalid(Protocol):
    """What :meth:`ConfigError.invalid` reads of a ``pydantic.ValidationError``."""

    def errors(self) -> Sequence[Any]: ...


class ConfigError(HehuError, ValueError):
    """A configuration file or option is wrong."""

    @classmethod
    def invalid(cls, source: object, error: _Invalid, *, under: str = "", hint: str = "") -> Self:
        """One line naming ``source`` (the file) and each wrong key, from a pydantic
        ``ValidationError``: ``hehu.yaml: ledger.settings.gate_sigma: unknown key``.
        ``under`` prefixes the keys (``"properties"`` for a zone feature's)."""
        problems = []
        for item in error.errors():
            key = ".".join(str(p) for p in ((under,) if under else ()) + tuple(item["loc"]))
            msg = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                msg = "unknown key (a typo?)"
            elif item["type"] not in ("value_error", "missing"):
                msg = f"{msg}, got {_short(item.get('input'))}"
            problems.append(f"{key}: {msg}" if key else msg)
        return cls(f"{source}: {'; '.join(problems)}{f' ({hint})' if hint else ''}")


def _short(value: object, limit: int = 60) -> str:
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class MissingDependencyError(HehuError, ImportError):
    """An optional dependency is not installed; the message names the pip command."""


class RunStopped(HehuError):
    """A run was stopped on request (its ``hehu run`` was interrupted); never retried."""


class TransientError(HehuError):
    """A failure that may pass on its own (the ledger did not answer); the flow retries it."""


def is_transient(error: BaseException) -> bool:
    """Whether retrying may help: a :class:`TransientError`, or an OS or network error
    (``OSError``: ``ConnectionError``, ``TimeoutError``, a full disk) that is not a user's
    unreadable file. Bad input, config errors, stops and bugs are never retried."""
    if isinstance(error, TransientError):
        return True
    return isinstance(error, OSError) and not isinstance(error, HehuError)
