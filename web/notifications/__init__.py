"""HTTP routes for notifications: a person's inbox, and the delivery state of a task's invitations."""
from .views import blp

__all__ = ["blp"]
