"""The people change marker: every flush that touches people bumps one counter, in the same transaction.

Each changed person gets the new value in ``change_version``; each deleted one leaves a tombstone.
A process that last looked at version V refreshes by reading rows and tombstones above V. The
counter row is locked by the UPDATE until commit, so versions are handed out in commit order.
"""
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from ..models import PeopleVersion, Volunteer, VolunteerTombstone


def next_version(session):
    """Bump the counter (creating its row on a database built without migrations) and return it."""
    bumped = session.execute(
        update(PeopleVersion).where(PeopleVersion.id == 1).values(version=PeopleVersion.version + 1)
        .returning(PeopleVersion.version)
    ).scalar_one_or_none()
    if bumped is None:
        session.execute(insert(PeopleVersion).values(id=1, version=1))
        bumped = 1
    return bumped


@event.listens_for(Session, "before_flush")
def _stamp_people_changes(session, flush_context, instances):
    """Give this flush's changed people a new version and tombstone the deleted ones."""
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, Volunteer) and session.is_modified(o)]
    deleted = [o for o in session.deleted if isinstance(o, Volunteer)]
    if not changed and not deleted:
        return
    version = next_version(session)
    for person in changed:
        person.change_version = version
    for person in deleted:
        session.add(VolunteerTombstone(volunteer_id=person.id, version=version))


# Built once: read before every match, so not rebuilt (and its cache key not worked out) per request;
# on the table's columns (SQLAlchemy Core), run on the session's connection: no ORM work per request.
_CURRENT = select(PeopleVersion.__table__.c.version).where(PeopleVersion.__table__.c.id == 1)


def current_version(session):
    """The latest people version (0 before any change)."""
    return session.connection().execute(_CURRENT).scalar() or 0
