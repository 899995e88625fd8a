"""Batch plans: who should do what across many tasks, solved exactly."""
from .views import blp

__all__ = ["blp"]
