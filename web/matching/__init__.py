"""Matching over HTTP: the database-backed candidate index and the match routes."""
from . import versioning  # noqa: F401  (registers the people change marker)
from .views import blp

__all__ = ["blp"]
