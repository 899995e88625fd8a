"""Matching over HTTP: the match routes."""
from .views import blp

__all__ = ["blp"]
