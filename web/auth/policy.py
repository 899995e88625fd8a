"""Authorisation rules: which caller may do what to which object, and what personal data they see."""
from flask_smorest import abort

from ..common.personal import mask_id_number, mask_phone
from . import audit
from .principal import current_principal


def require(*roles):
    """401 for anonymous callers, 403 for a role not in `roles`; return the principal."""
    principal = current_principal()
    if principal.role is None:
        abort(401, message="this needs a bearer token")
    if principal.role not in roles:
        abort(403, message=f"the {principal.role} role may not do this")
    return principal


def require_station(principal, station_id):
    """Coordinators act only for their own stations (403 otherwise); admins for all."""
    if principal.role == "admin":
        return
    if principal.role != "coordinator" or station_id not in principal.station_ids:
        abort(403, message=f"not a coordinator of station {station_id}")


def can_see_person(principal, volunteer):
    """Whether the caller may know this person exists at all (others get a 404)."""
    if principal.role == "admin":
        return True
    if principal.role == "volunteer":
        return principal.volunteer_id == volunteer.id
    if principal.role == "coordinator":
        return volunteer.station_id in principal.station_ids
    return False


def can_see_contact(principal, volunteer):
    """Whether the caller may see phone and home place: admins and the person themself.

    Coordinators see contact details only of people invited to or serving on their tasks,
    which arrives with assignments; until then they see masked phones and districts only.
    """
    return principal.role == "admin" or (principal.role == "volunteer" and principal.volunteer_id == volunteer.id)


PRIVATE_FIELDS = ("phone", "address", "location")


def protect_person(data, volunteer):
    """Mask a dumped person for the current caller, and audit what personal data they were shown."""
    principal = current_principal()
    data["id_number"] = mask_id_number(volunteer.id_number)
    if can_see_contact(principal, volunteer):
        shown = [f for f in PRIVATE_FIELDS if data.get(f) is not None]
        if shown:
            audit.record("read", volunteer.id, shown)
    else:
        data["phone"] = mask_phone(volunteer.phone)
        data["address"] = None
        data["location"] = None
    return data
