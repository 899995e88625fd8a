"""Residents' requests for help: public submission and follow-up, staff triage."""
from .views import blp

__all__ = ["blp"]
