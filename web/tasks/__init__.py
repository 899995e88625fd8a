"""Service tasks posted by stations."""
from .views import blp

__all__ = ["blp"]
