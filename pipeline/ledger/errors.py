"""Errors of the ledger; all derive from :class:`pipeline.errors.HehuError`."""

from __future__ import annotations

from pipeline.errors import HehuError


class ConflictError(HehuError, RuntimeError):
    """An edit was based on a version of an issue that someone else has since changed.

    Nothing was written: reload the issue and redo the edit on its current version.
    """


class IllegalTransitionError(HehuError, ValueError):
    """A status change the workflow does not allow (e.g. 待审核 → 已销号)."""


class IssueNotFoundError(HehuError, LookupError):
    """No issue has the given code."""


class SchemaNotReadyError(HehuError, RuntimeError):
    """The database is missing or not at the latest migration; run ``hehu ledger upgrade``."""
