"""Authorisation rules: which caller may do what to which object, and what personal data they see."""
from flask import g
from flask_smorest import abort
from sqlalchemy import select

from ..common.personal import mask_id_number, mask_phone
from ..extensions import db
from ..models import LIVE, Assignment, Task
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


def station_object_or_404(model, object_id, label, roles=("admin", "coordinator")):
    """A row with a `station_id`, if the caller may see it: coordinators see their stations' only.

    401/403 by role first; then a 404 that says nothing of rows of other stations.
    """
    principal = require(*roles)
    row = db.session.get(model, object_id)
    if row is None or (principal.role == "coordinator" and row.station_id not in principal.station_ids):
        abort(404, message=f"no {label} with id {object_id}")
    return row


def can_see_person(principal, volunteer):
    """Whether the caller may know this person exists at all (others get a 404)."""
    if principal.role == "admin":
        return True
    if principal.role == "volunteer":
        return principal.volunteer_id == volunteer.id
    if principal.role == "coordinator":
        return volunteer.station_id in principal.station_ids or asked_by(principal.station_ids, volunteer.id, ASKED)
    return False


# Asked and not turned down: a coordinator keeps knowing of people who serve or served for the station.
ASKED = ("invited", "accepted", "completed", "no_show")


def asked_by(station_ids, volunteer_id, statuses):
    """Whether these stations have asked this person to serve (in one of `statuses`).

    The people asked are read once per request and kept on `g`, so dumping a page of people costs
    one query, not one per person.
    """
    if not station_ids:
        return False
    asked = g.setdefault("asked_people", {})
    key = (station_ids, statuses)
    if key not in asked:
        asked[key] = frozenset(db.session.scalars(
            select(Assignment.volunteer_id).join(Task, Assignment.task_id == Task.id)
            .where(Task.station_id.in_(station_ids), Assignment.status.in_(statuses)).distinct()))
    return volunteer_id in asked[key]


def can_see_contact(principal, volunteer):
    """Whether the caller may see phone and home place: admins, the person themself, and the
    coordinators of a task the person is invited to or accepted on (they need to reach them)."""
    if principal.role == "admin" or (principal.role == "volunteer" and principal.volunteer_id == volunteer.id):
        return True
    return principal.role == "coordinator" and asked_by(principal.station_ids, volunteer.id, LIVE)


def assignment_phone(assignment):
    """The person's phone as this caller may see it on an assignment (full ones are audited)."""
    principal = current_principal()
    phone = assignment.volunteer.phone
    full = (principal.role == "admin" or principal.volunteer_id == assignment.volunteer_id
            or (principal.role == "coordinator" and assignment.status in LIVE
                and assignment.task.station_id in principal.station_ids))
    if not full:
        return mask_phone(phone)
    if phone is not None:
        audit.record("read", assignment.volunteer_id, ["phone"])
    return phone


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
