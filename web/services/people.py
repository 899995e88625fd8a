"""Every write of a person: sign-up, edits, deletion, engagement counters, and import batches.

Normalisation comes from the schemas; defaults, volunteer numbers, the people-version bump (the
matcher's change marker, see versioning.py) and the audit entry happen here, once, for each path.
Import batches bypass the ORM for speed (`write_batch`) but share the same rules and helpers.
"""
import datetime as dt

from marshmallow import ValidationError
from sqlalchemy import Integer, delete, insert, literal, select

from matcher.engagement import add_hours

from ..auth import audit, policy
from ..auth.principal import issue_token
from ..errors import Conflict
from ..extensions import db
from ..models import ApiToken, AuditEntry, Station, Volunteer
from ..types import JSONList, UTCDateTime, utcnow
from .versioning import next_version

PEOPLE = Volunteer.__table__
UNIQUE_FIELDS = ("external_id", "id_number", "phone")
IDENTITY_FIELDS = ("phone", "id_number")  # keys a person types themself: unverified until staff vouch
PERSONAL_FIELDS = ("phone", "id_number", "address", "lat", "lon")


def volunteer_number(person_id):
    """The public volunteer number of a person's id: VM and 8 digits."""
    return f"VM{person_id:08d}"


def number_people(volunteers):
    """Give flushed people their public volunteer number."""
    for volunteer in volunteers:
        volunteer.volunteer_number = volunteer_number(volunteer.id)


def personal_fields(data):
    """The personal-data fields present in `data` (a dict or a collection of names), as the audit log names them."""
    names = {"lat": "location", "lon": "location"}
    return sorted({names.get(f, f) for f in PERSONAL_FIELDS if f in data})


def check_station(station_id, field="station_id"):
    """Refuse a reference to a station that does not exist (a 422 on the field)."""
    if station_id is not None and db.session.get(Station, station_id) is None:
        raise ValidationError({field: [f"no station with id {station_id}"]})


def check_unique(data, exclude_id=None):
    """Raise Conflict when another person already has this external_id, ID number or phone."""
    for field in UNIQUE_FIELDS:
        value = data.get(field)
        if value is None:
            continue
        stmt = select(Volunteer.id).where(getattr(Volunteer, field) == value)
        if exclude_id is not None:
            stmt = stmt.where(Volunteer.id != exclude_id)
        if db.session.scalar(stmt.limit(1)) is not None:
            raise Conflict(field, f"another person already has this {field}")


def create(actor, data, sent):
    """Store a new person from validated schema data; return it.

    Public sign-up (an anonymous actor) also issues the person's own token, set on the returned
    object as `token` to be shown once; such a person's phone and ID number are unverified.
    """
    policy.check_may_register(actor, data)
    policy.check_person_fields(actor, data, sent)
    check_station(data.get("station_id"))
    check_station(data.get("requested_station_id"), "requested_station_id")
    check_unique(data)
    staff = policy.is_staff(actor)
    volunteer = Volunteer(**{"identity_verified": staff, **data})
    db.session.add(volunteer)
    db.session.flush()
    number_people([volunteer])
    token = None if staff else issue_token("volunteer", volunteer_id=volunteer.id, name="sign-up")[1]
    audit.log(actor, "create", volunteer.id, personal_fields(data))
    db.session.commit()
    if token:
        volunteer.token = token
    return volunteer


def update(actor, volunteer_id, data, sent):
    """Apply validated partial data to a stored person the actor may change; return them."""
    volunteer = policy.changeable_person(actor, volunteer_id, data)
    policy.check_person_fields(actor, data, sent, volunteer)
    check_station(data.get("station_id"))
    check_station(data.get("requested_station_id"), "requested_station_id")
    check_unique(data, exclude_id=volunteer.id)
    if not policy.is_staff(actor) and any(data.get(f, getattr(volunteer, f)) != getattr(volunteer, f)
                                         for f in IDENTITY_FIELDS):
        data["identity_verified"] = False  # newly typed by the person: nobody has vouched for it
    if data.get("station_id") is not None and data["station_id"] == volunteer.requested_station_id:
        data.setdefault("requested_station_id", None)  # the request to join is answered
    for key, value in data.items():
        setattr(volunteer, key, value)
    volunteer.source_hash = None  # no longer what any import file said
    if personal_fields(data):
        audit.log(actor, "update", volunteer.id, personal_fields(data))
    db.session.commit()
    return volunteer


def delete_person(actor, volunteer_id):
    """Remove a person, their tokens and their personal data (admins, or the person themself)."""
    volunteer = policy.own_person(actor, volunteer_id, "only the person or an admin may delete a person")
    audit.log(actor, "delete", volunteer.id)
    # Explicitly, not only by ON DELETE CASCADE: a token must never outlive its person.
    db.session.execute(delete(ApiToken).where(ApiToken.volunteer_id == volunteer.id))
    db.session.delete(volunteer)
    db.session.commit()


# -- engagement counters: called inside an engagement transaction that holds the booking locks ----

def add_recent_hours(person, hours, served_at):
    """Fold hours (negative to take them back) served at `served_at` into the person's recent hours."""
    at = person.recent_hours_at.timestamp() if person.recent_hours_at else None
    total, at = add_hours(person.recent_hours, at, hours, served_at.timestamp())
    person.recent_hours = max(total, 0.0)
    person.recent_hours_at = _from_timestamp(at)


def count_service(person, hours, served_at):
    """A verified service: one more completed, and its hours."""
    person.services_completed += 1
    add_recent_hours(person, hours, served_at)


def count_drop(person):
    """Accepted, then dropped (cancelled by the person, or not shown up)."""
    person.services_dropped += 1


def _from_timestamp(seconds):
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


# -- import batches: the fast path ------------------------------------------------------------------

def batch_defaults(writer):
    """Every stored column's value for a new row that gives none (rows start from these)."""
    return writer.defaults() | {"skills": [], "certificates": [], "languages": [], "availability": [], "channels_off": []}


def write_batch(actor, writer, creates, updates, hash_only, fields):
    """Write an import batch in one transaction: new people (numbered), updates, and source hashes.

    `creates` are rows converted by `writer.convert`; `updates` are (id, {field: value});
    `hash_only` rows only record the source row of an unchanged person. `fields` are the columns
    the file can set; the audit entries name the actor, and the file through `actor.via`.
    """
    if hash_only:  # data unchanged: remember the source row only, no new version or timestamp
        writer.update(hash_only)
        if not (creates or updates):
            db.session.commit()
            return
    now = utcnow()
    version = next_version(db.session)
    if creates:
        # Every column in every row (executemany wants the same keys): defaults, then the row.
        blank = writer.convert({c.key: None for c in PEOPLE.columns} | batch_defaults(writer)
                               | {"created_at": now, "updated_at": now, "change_version": version,
                                  "identity_verified": True})
        ids = writer.new_ids(len(creates))
        writer.insert([{**blank, **c, "id": i, "volunteer_number": volunteer_number(i)}
                       for c, i in zip(creates, ids)], converted=True)
        _audit_created(actor, (PEOPLE.c.change_version == version) & (PEOPLE.c.created_at == now), now,
                       personal_fields(fields))
    groups = {}
    for vid, stored in updates:
        groups.setdefault(tuple(sorted(stored)), []).append({"id": vid, **stored, "updated_at": now,
                                                              "change_version": version})
    for rows in groups.values():
        writer.update(rows)
    changed = [{"at": now, "token_id": actor.token_id, "actor": actor.label, "action": "update", "volunteer_id": vid,
                "fields": personal_fields(stored), "path": actor.via[:300], "detail": None}
               for vid, stored in updates]
    changed = [row for row in changed if row["fields"]]
    if changed:
        db.session.execute(insert(AuditEntry.__table__), changed)
    db.session.commit()


def _audit_created(actor, new_rows, now, fields):
    """One audit entry per person a batch created, naming the personal columns the file has."""
    if not fields:
        return
    chosen = select(literal(now, UTCDateTime()), literal(actor.token_id, Integer()), literal(actor.label),
                    literal("create"), PEOPLE.c.id, literal(fields, JSONList), literal(actor.via[:300])).where(new_rows)
    db.session.execute(insert(AuditEntry.__table__).from_select(
        ["at", "token_id", "actor", "action", "volunteer_id", "fields", "path"], chosen))


def listing(actor, filters):
    """The people the actor may list (a query): admins everyone; coordinators their stations' members
    and the people asking to join them. Filters: district, skill, role, station, request, active."""
    from ..common.queries import json_array_contains

    scope = policy.person_list_scope(actor)
    stmt = select(Volunteer).order_by(Volunteer.id)
    if scope is not None:
        stmt = stmt.where(Volunteer.station_id.in_(scope) | Volunteer.requested_station_id.in_(scope))
    for name in ("district", "role", "station_id", "requested_station_id", "active"):
        if name in filters:
            stmt = stmt.where(getattr(Volunteer, name) == filters[name])
    if "skill" in filters:
        stmt = stmt.where(json_array_contains(Volunteer.skills, filters["skill"]))
    return stmt
