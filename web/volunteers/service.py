"""Writes of people: one path for the API and for imports."""
from sqlalchemy import delete, select

from ..auth import audit
from ..auth.principal import issue_token as new_token
from ..errors import Conflict
from ..extensions import db
from ..models import ApiToken, Station, Volunteer

UNIQUE_FIELDS = ("external_id", "id_number", "phone")
PERSONAL_FIELDS = ("phone", "id_number", "address", "lat", "lon")


def number_people(volunteers):
    """Give flushed people their public volunteer number."""
    for volunteer in volunteers:
        volunteer.volunteer_number = volunteer_number(volunteer.id)


def volunteer_number(person_id):
    """The public volunteer number of a person's id: VM and 8 digits."""
    return f"VM{person_id:08d}"


def personal_fields(data):
    """The personal-data fields present in `data` (a dict or a collection of names), as the audit log names them."""
    names = {"lat": "location", "lon": "location"}
    return sorted({names.get(f, f) for f in PERSONAL_FIELDS if f in data})


def check_station(station_id):
    """Refuse a reference to a station that does not exist (a 422 on `station_id`)."""
    from marshmallow import ValidationError

    if station_id is not None and db.session.get(Station, station_id) is None:
        raise ValidationError({"station_id": [f"no station with id {station_id}"]})


def check_unique(data, exclude_id=None):
    """Raise Conflict when another person already has this external_id, ID number or phone."""
    for field in UNIQUE_FIELDS:
        value = data.get(field)
        if value is None:
            continue
        stmt = select(Volunteer.id).where(getattr(Volunteer, field) == value)
        if exclude_id is not None:
            stmt = stmt.where(Volunteer.id != exclude_id)
        other = db.session.scalar(stmt.limit(1))
        if other is not None:
            raise Conflict(field, f"another person already has this {field}")


def create_volunteer(data, issue_token=False):
    """Store a new person from validated schema data; with `issue_token`, also their own token.

    The token's plaintext is set on the returned object as `token`, to be shown once.
    """
    check_station(data.get("station_id"))
    check_unique(data)
    volunteer = Volunteer(**data)
    db.session.add(volunteer)
    db.session.flush()
    number_people([volunteer])
    token = new_token("volunteer", volunteer_id=volunteer.id, name="sign-up")[1] if issue_token else None
    audit.log_change("create", volunteer.id, personal_fields(data))
    db.session.commit()
    if token:
        volunteer.token = token
    return volunteer


def update_volunteer(volunteer, data):
    """Apply validated partial data to a stored person."""
    check_station(data.get("station_id"))
    check_unique(data, exclude_id=volunteer.id)
    for key, value in data.items():
        setattr(volunteer, key, value)
    volunteer.source_hash = None  # no longer what any import file said
    if personal_fields(data):
        audit.log_change("update", volunteer.id, personal_fields(data))
    db.session.commit()
    return volunteer


def delete_volunteer(volunteer):
    """Remove a person, their tokens and their personal data."""
    audit.log_change("delete", volunteer.id, [])
    # Explicitly, not only by ON DELETE CASCADE: a token must never outlive its person.
    db.session.execute(delete(ApiToken).where(ApiToken.volunteer_id == volunteer.id))
    db.session.delete(volunteer)
    db.session.commit()
