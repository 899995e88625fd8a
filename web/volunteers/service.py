"""Writes of people: one path for the API and for imports."""
from sqlalchemy import select

from ..errors import Conflict
from ..extensions import db
from ..models import Station, Volunteer

UNIQUE_FIELDS = ("external_id", "id_number", "phone")


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
            raise Conflict(field, f"another person (id {other}) already has this {field}")


def create_volunteer(data):
    """Store a new person from validated schema data."""
    check_station(data.get("station_id"))
    check_unique(data)
    volunteer = Volunteer(**data)
    db.session.add(volunteer)
    db.session.commit()
    return volunteer


def update_volunteer(volunteer, data):
    """Apply validated partial data to a stored person."""
    check_station(data.get("station_id"))
    check_unique(data, exclude_id=volunteer.id)
    for key, value in data.items():
        setattr(volunteer, key, value)
    db.session.commit()
    return volunteer


def delete_volunteer(volunteer):
    """Remove a person and their personal data."""
    db.session.delete(volunteer)
    db.session.commit()
