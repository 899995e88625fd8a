"""One in-memory candidate index per app process, kept in step with the database.

The index holds each person's coarse point (the centre of their 500 m grid cell), never their
home: every distance, direction and plan a coordinator can see or probe is computed from it, so
no number of calls locates a person more precisely than the cell.

Before each match the process reads the people version (one indexed row). If it moved, only
the people changed since are re-read and upserted, and tombstoned ones removed; a process
that has never built its index reads everyone once. So nobody changed a moment ago, in any
worker, is missed, and 100,000 rows are not re-read per request.
"""
import threading

from sqlalchemy import select

from ..extensions import db
from ..models import Volunteer, VolunteerTombstone
from .versioning import current_version

_COLUMNS = (Volunteer.id, Volunteer.name, Volunteer.lat, Volunteer.lon, Volunteer.role, Volunteer.max_distance_km,
            Volunteer.skills, Volunteer.availability, Volunteer.active, Volunteer.tier, Volunteer.district,
            Volunteer.services_completed, Volunteer.services_dropped, Volunteer.recent_hours, Volunteer.recent_hours_at)


def _people(rows):
    """Database rows -> the matcher's plain Persons, each at their coarse point (worked out for all rows at once)."""
    import numpy as np

    from matcher.geo import coarse_points
    from matcher.types import Person  # heavy imports wait for the first match

    lats, lons = coarse_points(np.fromiter((r.lat for r in rows), float, len(rows)),
                               np.fromiter((r.lon for r in rows), float, len(rows)))
    for row, lat, lon in zip(rows, lats.tolist(), lons.tolist()):
        yield Person(
            id=row.id, name=row.name, lat=lat, lon=lon, role=row.role, max_distance_km=row.max_distance_km,
            skills=tuple(row.skills or ()),
            availability=tuple((s["day"], s["start"], s["end"]) for s in row.availability or ()),
            active=row.active, tier=row.tier, district=row.district,
            services_completed=row.services_completed, services_dropped=row.services_dropped,
            recent_hours=row.recent_hours,
            recent_hours_at=row.recent_hours_at.timestamp() if row.recent_hours_at else 0.0,
        )


class IndexCache:
    """The process's index and the people version it reflects."""

    def __init__(self):
        self.index = None
        self.version = -1
        self.lock = threading.Lock()

    def fresh_index(self):
        """The index, brought up to the database's current people version first."""
        version = current_version(db.session)
        if version == self.version and self.index is not None:
            return self.index
        from matcher.index import CandidateIndex  # heavy (scikit-learn): loaded on first match

        with self.lock:
            if self.index is None:
                rows = db.session.execute(select(*_COLUMNS)).all()
                self.index = CandidateIndex().fit(_people(rows))
            elif version != self.version:
                gone = db.session.scalars(
                    select(VolunteerTombstone.volunteer_id).where(VolunteerTombstone.version > self.version))
                self.index.remove(gone)
                rows = db.session.execute(select(*_COLUMNS).where(Volunteer.change_version > self.version)).all()
                self.index.upsert(_people(rows))
            self.version = max(self.version, version)
        return self.index
