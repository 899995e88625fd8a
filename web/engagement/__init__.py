"""Assignments, service records and feedback."""
from .views import blp

__all__ = ["blp"]
