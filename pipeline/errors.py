"""The one error hierarchy of hehu.

Every error a user can meet derives from :class:`HehuError`; each subclass also
inherits the builtin a caller would naturally catch (``OSError``, ``ValueError``),
so ``except ValueError`` keeps working around hehu calls.
"""

from __future__ import annotations


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


class ConfigError(HehuError, ValueError):
    """A configuration file or option is wrong."""


class MissingDependencyError(HehuError, ImportError):
    """An optional dependency is not installed; the message names the pip command."""


class RunStopped(HehuError):
    """A run was stopped on request (its ``hehu run`` was interrupted); never retried."""
