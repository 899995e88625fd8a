"""Bulk import of existing volunteer databases (CSV, Excel, JSON Lines)."""
from .views import blp

__all__ = ["blp"]
