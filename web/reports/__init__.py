"""City-wide reports: where volunteers with the needed skills are missing."""
from .views import blp

__all__ = ["blp"]
