"""Access control: bearer tokens, roles, object-level checks, masking and the audit log."""
from .principal import Principal, current_principal
from .views import blp, me_blp

__all__ = ["Principal", "blp", "current_principal", "me_blp"]
