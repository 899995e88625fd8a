"""HTTP routes for a person's service-record certificate (志愿服务记录证明) as a PDF."""
from .views import blp

__all__ = ["blp"]
