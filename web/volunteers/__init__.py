"""People: volunteers and social workers."""
from .views import blp

__all__ = ["blp"]
