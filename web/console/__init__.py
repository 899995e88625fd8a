"""The coordinators' web console: one server-rendered page, light JavaScript over the JSON API."""
from .views import bp

__all__ = ["bp"]
