"""HTTP routes for people on their phones: sign-in and sign-up with a one-time SMS code, and the
one-tap invitation links their messages carry."""
from .views import blp

__all__ = ["blp"]
