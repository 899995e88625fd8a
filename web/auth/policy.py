"""Who may do what, and what personal data they see: every access rule of the service, Flask-free.

Functions take the acting Principal. They raise `Unauthorized` (401), `Forbidden` (403) or
`NotFound` (404, where existence would leak) from `web.errors`, or return what the caller may see.
Adding a role means changing this module (and `principal.ROLES`), not the views.
"""
from marshmallow import ValidationError
from sqlalchemy import and_, bindparam, event, or_, select
from sqlalchemy.orm import Session

from ..common.personal import mask_id_number, mask_phone
from ..common.text import msg
from ..errors import Forbidden, NotFound, Unauthorized
from ..extensions import db
from ..models import Assignment, NeedRequest, Plan, ServiceRecord, Station, Task, Volunteer, need_station

STAFF = ("admin", "coordinator")
EVERYONE = ("admin", "coordinator", "volunteer")

# Asked and not turned down: a coordinator keeps knowing of people who serve or served for the station.
ASKED = ("invited", "accepted", "completed", "no_show")
# Accepted at some point: only then does the station get the person's phone and home place.
ACCEPTED = ("accepted", "completed", "no_show")
# Fields of a person that staff set; the person may not (their `district` follows from their place).
STAFF_FIELDS = ("external_id", "role", "tier", "district", "station_id", "identity_verified")
PRIVATE_FIELDS = ("phone", "email", "address", "location")


# -- roles and stations -------------------------------------------------------------------------

def require(actor, *roles):
    """401 for anonymous callers, 403 for a role not in `roles`; return the actor."""
    if actor.role is None:
        raise Unauthorized(msg("this needs a bearer token"))
    if actor.role not in roles:
        raise Forbidden(msg("the {actor_role} role may not do this", actor_role=actor.role))
    return actor


def acts_for(actor, station_id):
    """Whether the actor acts for this station: admins for all, coordinators for theirs."""
    return actor.role == "admin" or (actor.role == "coordinator" and station_id in actor.station_ids)


def require_station(actor, station_id):
    """Coordinators act only for their own stations (403 otherwise); admins for all."""
    require(actor, *STAFF)
    if not acts_for(actor, station_id):
        raise Forbidden(msg("not a coordinator of station {station_id}", station_id=station_id))


def is_staff(actor):
    """Admins and coordinators: they speak for stations (and vouch for people's identity keys)."""
    return actor.role in STAFF


def station_scope(actor):
    """The station ids whose rows the actor is limited to, or None for no limit (admins)."""
    return None if actor.role == "admin" else actor.station_ids


def coordinator_scope(actor):
    """A coordinator's station ids (lists of tasks and assignments are limited to them); None for others."""
    return actor.station_ids if actor.role == "coordinator" else None


def area_stations(actor):
    """The stations whose service areas bound an unsaved match body that names none: a coordinator's
    own; None (no bound) for admins."""
    if actor.role != "coordinator":
        return None
    return db.session.scalars(select(Station).where(Station.id.in_(actor.station_ids)).order_by(Station.id)).all()


def station_row(actor, model, object_id, label, roles=STAFF):
    """A row with a `station_id`, if the actor may see it: coordinators see their stations' only.

    401/403 by role first; then a 404 that says nothing of rows of other stations.
    """
    require(actor, *roles)
    row = db.session.get(model, object_id)
    if row is None or (actor.role == "coordinator" and row.station_id not in actor.station_ids):
        raise NotFound(msg("no {label} with id {object_id}", label=label, object_id=object_id))
    return row


def station_or_404(station_id):
    """The station (stations are public), or a 404 naming it."""
    station = db.session.get(Station, station_id)
    if station is None:
        raise NotFound(msg("no station with id {station_id}", station_id=station_id))
    return station


def may_set_service_area(actor):
    """Only admins draw a station's service area."""
    return actor.role == "admin"


def require_admin(actor):
    """401/403 unless the actor is an admin (stations are created by admins)."""
    return require(actor, "admin")


# -- tasks, plans, records ----------------------------------------------------------------------

def visible_task(actor, task_id):
    """The task, if the actor may see it: coordinators see their stations' tasks; volunteers and admins all."""
    return station_row(actor, Task, task_id, "task", roles=EVERYONE)


def station_task(actor, task_id):
    """The task, for admins and its station's coordinators (volunteers 403; other coordinators 404)."""
    require(actor, *STAFF)
    return visible_task(actor, task_id)


# The fields of a task a match reads, by id: built once, on the table's columns (SQLAlchemy Core).
_TASK = Task.__table__.c
_MATCH_TASK = select(_TASK.id, _TASK.station_id, _TASK.lat, _TASK.lon, _TASK.starts_at, _TASK.ends_at, _TASK.skills,
                     _TASK.required_skills, _TASK.role).where(_TASK.id == bindparam("task_id"))


def station_task_fields(actor, task_id):
    """`station_task`'s decision, the same answers (401/403 by role, then 404 for a task of another
    station), with the task as a plain row of the fields a match reads (`id`, `station_id`, `lat`,
    `lon`, `starts_at`, `ends_at`, `skills`, `required_skills`, `role`): one Core query on the
    session's connection, no ORM object, for the match route that reads one on every call."""
    require(actor, *STAFF)
    row = db.session.connection().execute(_MATCH_TASK, {"task_id": task_id}).first()
    if row is None or (actor.role == "coordinator" and row.station_id not in actor.station_ids):
        raise NotFound(msg("no task with id {task_id}", task_id=task_id))
    return row


def station_plan(actor, plan_id):
    """The plan, for admins and its station's coordinators."""
    return station_row(actor, Plan, plan_id, "plan")


def station_record(actor, record_id):
    """A service record, for admins and its station's coordinators."""
    return station_row(actor, ServiceRecord, record_id, "service record")


def visible_assignment(actor, assignment_id, options=()):
    """The assignment, if the actor is an admin, its station's coordinator, or the person asked."""
    require(actor, *EVERYONE)
    assignment = db.session.get(Assignment, assignment_id, options=options)
    visible = assignment is not None and (
        actor.role == "admin"
        or (actor.role == "coordinator" and assignment.task.station_id in actor.station_ids)
        or (actor.role == "volunteer" and assignment.volunteer_id == actor.volunteer_id))
    if not visible:
        raise NotFound(msg("no assignment with id {assignment_id}", assignment_id=assignment_id))
    return assignment


def check_assignment_change(actor, data):
    """The person asked may answer and report hours; only the station records a no-show or rates."""
    if not is_staff(actor) and (data.get("status") == "no_show" or "rating" in data or "comment" in data):
        raise Forbidden(msg("only the station records a no-show or rates a service"))


# -- people -------------------------------------------------------------------------------------

def _cache():
    """Per-transaction memo of the people each station has asked (dropped at commit and rollback)."""
    return db.session.info.setdefault("asked_people", {})


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_asked(session):
    session.info.pop("asked_people", None)


def asked_by(station_ids, volunteer_id, statuses):
    """Whether these stations have asked this person to serve (in one of `statuses`).

    Read once per transaction and remembered, so dumping a page of people costs one query.
    """
    if not station_ids:
        return False
    asked = _cache()
    key = (frozenset(station_ids), statuses)
    if key not in asked:
        asked[key] = frozenset(db.session.scalars(
            select(Assignment.volunteer_id).join(Task, Assignment.task_id == Task.id)
            .where(Task.station_id.in_(station_ids), Assignment.status.in_(statuses)).distinct()))
    return volunteer_id in asked[key]


def is_member(actor, volunteer):
    """Whether staff made this person a member of one of the coordinator's stations."""
    return actor.role == "coordinator" and volunteer.station_id in actor.station_ids


def can_see_person(actor, volunteer):
    """Whether the actor may know this person exists at all (others get a 404)."""
    if actor.role == "admin":
        return True
    if actor.role == "volunteer":
        return actor.volunteer_id == volunteer.id
    if actor.role == "coordinator":
        return (is_member(actor, volunteer) or volunteer.requested_station_id in actor.station_ids
                or asked_by(actor.station_ids, volunteer.id, ASKED))
    return False


def can_see_contact(actor, volunteer):
    """Phone and home place: admins, the person, and the coordinators of the person's station or of a
    task the person accepted (an invitation alone reveals nothing)."""
    if actor.role == "admin" or (actor.role == "volunteer" and actor.volunteer_id == volunteer.id):
        return True
    return is_member(actor, volunteer) or (actor.role == "coordinator"
                                          and asked_by(actor.station_ids, volunteer.id, ACCEPTED))


def contact_clause(actor):
    """`can_see_contact` as an SQL condition on people (None: every row), so that a search by phone
    digits only ever looks at phones the actor may read: a coordinator's own stations' members, and
    people who accepted one of their stations' tasks."""
    if actor.role == "admin":
        return None
    if actor.role == "volunteer":
        return Volunteer.id == actor.volunteer_id
    stations = actor.station_ids if actor.role == "coordinator" else ()
    accepted = (select(Assignment.volunteer_id).join(Task, Assignment.task_id == Task.id)
                .where(Task.station_id.in_(stations), Assignment.status.in_(ACCEPTED)))
    return Volunteer.station_id.in_(stations) | Volunteer.id.in_(accepted)


def own_person(actor, volunteer_id, refusal):
    """The person, for what is theirs alone (deleting them, their messages, their certificate): the
    person themself, or admins; 403 with `refusal` for others who see them, 404 as for a stranger."""
    volunteer = visible_person(actor, volunteer_id)
    if not (actor.role == "admin" or (actor.role == "volunteer" and actor.volunteer_id == volunteer.id)):
        raise Forbidden(refusal)
    return volunteer


def visible_person(actor, volunteer_id):
    """The person, if the actor may know they exist; 404 otherwise, so ids reveal nothing."""
    require(actor, *EVERYONE)
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or not can_see_person(actor, volunteer):
        raise NotFound(msg("no person with id {volunteer_id}", volunteer_id=volunteer_id))
    return volunteer


def may_change_person(actor, volunteer):
    """One rule for the API and imports alike: admins, the person, and the coordinators of the
    person's station (they correct their station's people) may change a person."""
    return (actor.role == "admin" or (actor.role == "volunteer" and actor.volunteer_id == volunteer.id)
            or is_member(actor, volunteer))


def changeable_person(actor, volunteer_id, data=None):
    """The person, if the actor may change them (403 when they may only see them).

    A coordinator may also answer a person's request to join one of their stations: set that
    `station_id` or clear `requested_station_id`, and nothing else.
    """
    volunteer = visible_person(actor, volunteer_id)
    if may_change_person(actor, volunteer):
        return volunteer
    if actor.role == "coordinator" and volunteer.requested_station_id in actor.station_ids and data is not None:
        answer = set(data) <= {"station_id", "requested_station_id"} and (
            data.get("station_id", volunteer.requested_station_id) == volunteer.requested_station_id
            and data.get("requested_station_id") is None)
        if answer:
            return volunteer
    raise Forbidden(msg("only the person, an admin, or a coordinator of the person's station may change them"))


def check_person_fields(actor, data, sent, volunteer=None):
    """Refuse (403, naming each field) what the actor may not set on a person.

    `sent` names the fields the caller gave (a derived `district` is not theirs). A person may not
    set staff fields (echoing a stored value back is fine); a coordinator places people only in
    their own stations.
    """
    refused = {}
    if actor.role not in STAFF:
        for name in STAFF_FIELDS:
            if name not in sent or name not in data:
                continue
            current = getattr(volunteer, name) if volunteer is not None else _CREATE_DEFAULTS.get(name)
            if data[name] != current:
                refused[name] = [_STAFF_ONLY.get(name, msg("set by staff"))]
    sid = data.get("station_id")
    if actor.role == "coordinator" and sid is not None and sid not in actor.station_ids:
        refused["station_id"] = [msg("not one of your stations: {station_id}", station_id=sid)]
    if refused:
        raise Forbidden(msg("you may not set: {fields}", fields=", ".join(sorted(refused))), refused)


_CREATE_DEFAULTS = {"role": "volunteer", "tier": "regular", "external_id": None, "station_id": None,
                    "identity_verified": False, "district": None}
_STAFF_ONLY = {
    "station_id": msg("membership is set by staff: ask to join with `requested_station_id`"),
    "district": msg("follows from your location or address"),
    "role": msg("set by staff (claim a certificate; staff confirm the role)"),
}


def check_may_register(actor, data):
    """Anyone may sign up (once: a volunteer is registered already); a coordinator registers people
    into one of their own stations."""
    if actor.role == "volunteer":
        raise Forbidden(msg("you are already registered"))
    if actor.role == "coordinator" and data.get("station_id") is None:
        raise ValidationError({"station_id": [msg("a coordinator registers people into one of their stations")]})


def history_scope(actor, volunteer):
    """The stations whose service records of this person the actor sees: None for all (admins, the
    person, a coordinator of the person's station); else the coordinator's stations."""
    return None if is_member(actor, volunteer) else coordinator_scope(actor)


def person_list_scope(actor):
    """Which people a list shows: None for everyone (admins); else the coordinator's stations'."""
    require(actor, *STAFF)
    return station_scope(actor)


def person_import_scope(actor, volunteer_id):
    """(the person, the stations whose imports of them the actor sees: None for all): staff only
    (403 for volunteers), a person the actor may know of (404 otherwise); coordinators see the
    imports of their own stations, as they see those imports themselves."""
    require(actor, *STAFF)
    return visible_person(actor, volunteer_id), station_scope(actor)


def mask_person(actor, data, volunteer):
    """Mask a dumped person for the actor; return the personal fields shown in full (to audit)."""
    data["id_number"] = mask_id_number(volunteer.id_number)
    if can_see_contact(actor, volunteer):
        return [f for f in PRIVATE_FIELDS if data.get(f) is not None]
    data["phone"] = mask_phone(volunteer.phone)
    data["email"] = None
    data["address"] = None
    data["location"] = None
    return []


def assignment_phone(actor, assignment):
    """(phone as the actor may see it on an assignment, whether it is shown in full)."""
    phone = assignment.volunteer.phone
    full = (actor.role == "admin" or (actor.role == "volunteer" and actor.volunteer_id == assignment.volunteer_id)
            or (actor.role == "coordinator" and assignment.task.station_id in actor.station_ids
                and (assignment.status in ACCEPTED or assignment.volunteer.station_id in actor.station_ids)))
    return (phone, phone is not None) if full else (mask_phone(phone), False)


def check_invitee(actor, task, volunteer_id, person, could_serve):
    """Coordinators invite people they may know of, or who pass the task's hard filters (422 otherwise).

    `could_serve(task, person_id)` asks the matcher; it runs only when needed.
    """
    if actor.role != "coordinator":
        return
    if person is None or not (can_see_person(actor, person) or could_serve(task, person.id)):
        raise ValidationError({"volunteer_id": [msg("no person with id {volunteer_id} who could serve on this task",
                                                    volunteer_id=volunteer_id)]})


# -- residents' requests -------------------------------------------------------------------------

NEED_CONTACT_FIELDS = ("phone", "address", "location")


def need_clause(actor):
    """Which residents' requests a staff member sees, as an SQL condition (None: all, for admins): a
    coordinator sees those in one of their stations' queues that no station has taken yet, and those
    their stations took (then no other station sees it). Volunteers 403, anonymous callers 401."""
    require(actor, *STAFF)
    if actor.role == "admin":
        return None
    queued = select(need_station.c.need_id).where(need_station.c.station_id.in_(actor.station_ids))
    return or_(NeedRequest.station_id.in_(actor.station_ids),
               and_(NeedRequest.station_id.is_(None), NeedRequest.id.in_(queued)))


def visible_need(actor, need_id):
    """The request, if the actor sees it (`need_clause`); 404 otherwise, as for no such request."""
    clause = need_clause(actor)
    stmt = select(NeedRequest).where(NeedRequest.id == need_id)
    need = db.session.scalar(stmt if clause is None else stmt.where(clause))
    if need is None:
        raise NotFound(msg("no request with id {need_id}", need_id=need_id))
    return need


def can_see_need_contact(actor, need):
    """The resident's phone and place: admins, and the coordinators of the station that took the request
    (as a person's phone reaches a station once they accepted its task; before that it is masked)."""
    return actor.role == "admin" or (need.station_id is not None and acts_for(actor, need.station_id))


def mask_need(actor, data, need):
    """Mask a dumped request for the actor; return the contact fields shown in full (to audit)."""
    if can_see_need_contact(actor, need):
        return [f for f in NEED_CONTACT_FIELDS if data.get(f) is not None]
    data["phone"] = mask_phone(need.phone)
    data["address"] = None
    data["location"] = None
    return []


def check_need_station(actor, station_id):
    """A coordinator takes a request for one of their own stations (422 on `station_id` otherwise)."""
    if actor.role == "coordinator" and station_id not in actor.station_ids:
        raise ValidationError({"station_id": [msg("not one of your stations: {station_id}", station_id=station_id)]})


# -- imports and reports -------------------------------------------------------------------------

def import_scope(actor, station_id):
    """The stations whose people an import by this actor may create or change (None: any)."""
    require(actor, *STAFF)
    if actor.role == "coordinator":
        if station_id is None:
            raise ValidationError({"station_id": [msg("a coordinator imports into one of their stations")]})
        require_station(actor, station_id)
    return station_scope(actor)


def may_read_reports(actor):
    """Coverage (counts only): admins and coordinators."""
    return require(actor, *STAFF)


def may_read_audit(actor):
    """The audit log: admins only."""
    return require(actor, "admin")
