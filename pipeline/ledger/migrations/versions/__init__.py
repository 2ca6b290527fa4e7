"""Alembic revisions: ``0001`` creates the schema."""
