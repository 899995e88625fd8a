"""BulkWriter stores what SQLAlchemy Core would store, on SQLite and PostgreSQL."""
import datetime as dt

from sqlalchemy import insert, select

from web.common.bulk_write import BulkWriter
from web.extensions import db
from web.models import Volunteer

PEOPLE = Volunteer.__table__
WHEN = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def person(i, **extra):
    """A row with every kind of value: text, JSON lists of strings and of objects, floats, a flag, times."""
    return {"name": f"志愿者{i}", "phone": f"139{i:08d}", "external_id": f"W-{i}", "skills": ["心理疏导", "手语"][: i % 3],
            "certificates": [], "languages": ["普通话"], "availability": [{"day": "sat", "start": "09:00", "end": "12:00"}],
            "lat": 29.5 + i / 1000, "lon": 106.5, "district": "渝中区", "max_distance_km": 10.0, "active": i % 2 == 0,
            "max_hours_per_week": None, "role": "volunteer", "tier": "regular", "created_at": WHEN, "updated_at": WHEN,
            "change_version": 1, **extra}


def stored(app):
    """external_id -> everything else stored but the keys that differ by design (id, number, phone)."""
    with app.app_context():
        rows = db.session.execute(select(PEOPLE)).mappings().all()
        return {row["external_id"]: {k: v for k, v in row.items() if k not in ("id", "volunteer_number", "external_id", "phone")}
                for row in rows}


def test_insert_and_update_store_what_core_stores(app):
    with app.app_context():
        db.session.execute(insert(PEOPLE), [person(i, external_id=f"C-{i}", phone=f"138{i:08d}") for i in range(6)])
        writer = BulkWriter(db.session, PEOPLE)
        writer.insert([person(i) for i in range(3)])
        writer.insert([writer.convert(person(i)) for i in range(3, 6)], converted=True)
        db.session.commit()
    rows = stored(app)
    assert len(rows) == 12
    for i in range(6):
        assert rows[f"W-{i}"] == rows[f"C-{i}"]
    assert rows["W-1"]["skills"] == ["心理疏导"] and rows["W-1"]["created_at"] == WHEN  # values, not their text
    with app.app_context():
        ids = dict(db.session.execute(select(PEOPLE.c.external_id, PEOPLE.c.id)).all())
        writer = BulkWriter(db.session, PEOPLE)
        changed = {"skills": ["急救"], "availability": [{"day": "sun", "start": "14:00", "end": "18:00"}], "active": True}
        writer.update([{"id": ids[f"W-{i}"], **changed} for i in range(6)])
        db.session.execute(PEOPLE.update().where(PEOPLE.c.external_id.like("C-%")).values(**changed, updated_at=WHEN))
        db.session.commit()
    rows = stored(app)
    for i in range(6):
        assert rows[f"W-{i}"] == rows[f"C-{i}"]  # updated_at kept (the rows gave none), as set explicitly for C-*


def test_new_ids_are_the_ones_the_database_would_give(app):
    with app.app_context():
        db.session.execute(insert(PEOPLE), [person(i, external_id=f"C-{i}", phone=f"138{i:08d}") for i in range(3)])
        writer = BulkWriter(db.session, PEOPLE)
        db.session.execute(PEOPLE.update().where(PEOPLE.c.id == 0).values(name="x"))  # this transaction writes
        ids = writer.new_ids(4)
        writer.insert([{**person(10 + n), "id": i} for n, i in enumerate(ids)])
        after = db.session.execute(insert(PEOPLE).values(person(20)).returning(PEOPLE.c.id)).scalar_one()
        db.session.commit()
        assert ids == [4, 5, 6, 7] and after == 8
