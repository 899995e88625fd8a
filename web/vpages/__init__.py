"""The volunteer's own pages at /v: mobile first, Chinese by default (English on request)."""
from .views import bp

__all__ = ["bp"]
