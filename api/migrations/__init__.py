"""Alembic migrations of the review server (a package so that installs ship them)."""
