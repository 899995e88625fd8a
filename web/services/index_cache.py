"""One in-memory candidate index per app process, kept in step with the database.

The index holds each person's coarse point (the centre of their 500 m grid cell), never their
home: every distance, direction and plan a coordinator can see or probe is computed from it, so
no number of calls locates a person more precisely than the cell.

Before each match the process reads the people version (one indexed row). If it moved, only
the people changed since are re-read and upserted, and tombstoned ones removed, into a new index
swapped in whole (a match running in another thread keeps the one it started with). So nobody
changed a moment ago, in any worker, is missed, and 1,000,000 rows are not re-read per request.

Served by gunicorn (gunicorn.conf.py), the master builds the index before it forks the workers
(`preload`): they share its arrays and no request builds it. Elsewhere (`flask run`, tests) a
process builds it on its first match.
"""
import gc
import json
import threading

from sqlalchemy import Text, cast, select

from ..extensions import db
from ..models import Volunteer, VolunteerTombstone
from .versioning import current_version

CHUNK_ROWS = 20_000  # rows read from the database at a time, straight into column arrays

# The JSON lists are read as their text: people share a few skill lists and weekly patterns, so
# each distinct text is decoded once (`_Decoder`).
# A person's skill evidence is their skills, then their certificates and languages (a nursing licence
# is evidence for 护理, Cantonese for interpreting: matcher/data/skills.json `implies`).
_COLUMNS = (Volunteer.id, Volunteer.name, Volunteer.lat, Volunteer.lon, Volunteer.role, Volunteer.max_distance_km,
            cast(Volunteer.skills, Text), cast(Volunteer.availability, Text), Volunteer.active, Volunteer.tier,
            Volunteer.district, Volunteer.services_completed, Volunteer.services_dropped, Volunteer.recent_hours,
            Volunteer.recent_hours_at, cast(Volunteer.certificates, Text), cast(Volunteer.languages, Text))


class _Decoder:
    """JSON text of a skills or availability list -> the matcher's tuple, decoded once per distinct text."""

    def __init__(self):
        self.skills = {}
        self.slots = {}

    def skill_list(self, text):
        """'["急救", "手语"]' -> ('急救', '手语')."""
        value = self.skills.get(text)
        if value is None:
            value = self.skills[text] = tuple(json.loads(text) if text else ())
        return value

    def evidence(self, skills, certificates, languages):
        """A person's skill words: their skills, certificates and languages (most have none of the last two)."""
        words = self.skill_list(skills)
        if certificates not in (None, "[]") or languages not in (None, "[]"):
            words = tuple(dict.fromkeys(words + self.skill_list(certificates) + self.skill_list(languages)))
        return words

    def weekly(self, text):
        """'[{"day": "sat", "start": "09:00", "end": "12:00"}]' -> (('sat', '09:00', '12:00'),)."""
        value = self.slots.get(text)
        if value is None:
            value = self.slots[text] = tuple((s["day"], s["start"], s["end"]) for s in json.loads(text or "[]"))
        return value


def _chunk(rows, decoder):
    """Database rows -> the matcher's columns, each person at their coarse point (no object per person kept)."""
    import numpy as np

    from matcher.geo import coarse_points
    from matcher.index import PeopleColumns

    (ids, names, lats, lons, roles, radii, skills, slots, active, tiers, districts, done, dropped, hours,
     hours_at, certificates, languages) = zip(*rows)
    lat, lon = coarse_points(np.array(lats, dtype=float), np.array(lons, dtype=float))
    return PeopleColumns.build(
        id=ids, name=names, lat=lat, lon=lon, role=roles, max_distance_km=radii,
        skills=map(decoder.evidence, skills, certificates, languages), availability=map(decoder.weekly, slots),
        active=active,
        tier=tiers, district=districts, services_completed=done, services_dropped=dropped, recent_hours=hours,
        recent_hours_at=[at.timestamp() if at else 0.0 for at in hours_at],
    )


def read_people(where=None):
    """The people (all, or those matching `where`) as the matcher's columns, read CHUNK_ROWS at a time."""
    from matcher.index import PeopleColumns

    statement = select(*_COLUMNS)
    if where is not None:
        statement = statement.where(where)
    decoder = _Decoder()
    # SQLAlchemy Core on the session's connection: plain rows, no ORM bookkeeping per row.
    result = db.session.connection().execute(statement, execution_options={"yield_per": CHUNK_ROWS})
    parts = [_chunk(rows, decoder) for rows in result.partitions()]
    return PeopleColumns.concat(parts) if parts else PeopleColumns.from_people(())


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
                self.index = CandidateIndex().fit_columns(read_people())
            elif version > self.version:
                gone = db.session.scalars(
                    select(VolunteerTombstone.volunteer_id).where(VolunteerTombstone.version > self.version))
                # Built aside and swapped in: a match running in another thread keeps the index it
                # started with, whole, never one half-way through the change.
                self.index = self.index.changed(removed=gone,
                                                upserted=read_people(Volunteer.change_version > self.version))
            self.version = max(self.version, version)
            return self.index


def preload(app):
    """Build `app`'s index now and return it: called in the gunicorn master before it forks (gunicorn.conf.py).

    The workers inherit the index as shared memory pages and only apply the changes made since on
    their first match. The master's database connections are closed first, so no connection is
    ever shared between processes, and every object made so far is frozen out of the garbage
    collector, whose bookkeeping would otherwise write to (and so copy) the shared pages.
    """
    import matcher.scoring  # noqa: F401  (imported once here, not by each worker's first match)

    from ..extensions import index_cache

    with app.app_context():
        index = index_cache().fresh_index()
        db.session.remove()
        db.engine.dispose()
    gc.freeze()
    return index
