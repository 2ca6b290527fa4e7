"""Alembic migrations of the ledger (a package so that installs carry the revision files)."""
