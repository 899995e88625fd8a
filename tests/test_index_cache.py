"""The web side of the candidate index: read from database rows in chunks, kept fresh, built before gunicorn forks."""
import datetime as dt
import gc
import os
import re
import subprocess
import sys

import pytest

from matcher.geo import coarse_point
from matcher.types import Person
from web.extensions import db
from web.models import Volunteer
from web.services import index_cache as cache_module
from web.services.index_cache import IndexCache, preload

from .conftest import ROOT, _free_port

SERVED_AT = dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)


def _volunteer(i, **extra):
    fields = {"name": f"志愿者{i}", "lat": 29.59 + i / 1000, "lon": 106.52 - i / 997, "skills": ["心理疏导", "手语"][: i % 3],
              "availability": [{"day": "sat", "start": "09:00", "end": f"1{i % 8}:00"}] if i % 4 else [],
              "district": None if i % 5 == 0 else "渝北区", "role": "social_worker" if i % 6 == 0 else "volunteer",
              "max_distance_km": 5.0 + i, "tier": "core" if i % 7 == 0 else "regular", "active": i % 9 != 0,
              "services_completed": i % 4, "services_dropped": i % 3, "recent_hours": float(i),
              "recent_hours_at": SERVED_AT if i % 2 else None,
              "certificates": ["护士执业证书"] if i % 8 == 1 else [], "languages": ["粤语", "手语"] if i % 5 == 2 else []}
    fields.update(extra)
    return Volunteer(**fields)


def _expected(row):
    """The Person the index must hold for a database row: at its coarse point."""
    lat, lon = coarse_point(row.lat, row.lon)
    return Person(id=row.id, name=row.name, lat=lat, lon=lon, role=row.role, max_distance_km=row.max_distance_km,
                  skills=tuple(dict.fromkeys([*row.skills, *row.certificates, *row.languages])),
                  availability=tuple((s["day"], s["start"], s["end"]) for s in row.availability),
                  active=row.active, tier=row.tier, district=row.district, services_completed=row.services_completed,
                  services_dropped=row.services_dropped, recent_hours=row.recent_hours,
                  recent_hours_at=row.recent_hours_at.timestamp() if row.recent_hours_at else 0.0)


def test_index_holds_every_row_at_its_coarse_point_and_follows_changes(app, monkeypatch):
    monkeypatch.setattr(cache_module, "CHUNK_ROWS", 4)  # several chunks, each with its own tables of codes
    with app.app_context():
        db.session.add_all([_volunteer(i) for i in range(1, 24)])
        db.session.commit()
        cache = IndexCache()
        index = cache.fresh_index()
        rows = db.session.scalars(db.select(Volunteer)).all()
        assert len(index) == 23 and [index.person(r.id) for r in rows] == [_expected(r) for r in rows]

        changed, gone = rows[0], rows[1]
        changed.skills, changed.availability, changed.lat = ["法律援助"], [{"day": "sun", "start": "14:00", "end": "18:00"}], 29.7
        db.session.delete(gone)
        db.session.add(_volunteer(30, name="新人"))
        db.session.commit()
        index = cache.fresh_index()
        rows = db.session.scalars(db.select(Volunteer)).all()
        assert gone.id not in index and len(index) == 23
        assert [index.person(r.id) for r in rows] == [_expected(r) for r in rows]


def test_preload_builds_the_index_and_closes_the_connections(app):
    with app.app_context():
        db.session.add_all([_volunteer(i) for i in range(1, 4)])
        db.session.commit()
        engine = db.engine
    try:
        preload(app)
    finally:
        gc.unfreeze()
    cache = app.extensions["volmatch_index"]
    assert cache.index is not None and len(cache.index) == 3
    assert engine.pool.checkedout() == 0 and engine.pool.checkedin() == 0  # nothing left to share with a fork


@pytest.mark.slow
def test_gunicorn_builds_the_index_once_in_the_master(app, database_url, client, station, tmp_path):
    """Served with the shipped gunicorn.conf.py, the master builds the index; the workers only use it."""
    import urllib.request

    task = client.post("/api/v1/tasks", json={
        "station_id": station["id"], "title": "探访", "skills": ["心理疏导"], "location": {"lat": 29.60, "lon": 106.52},
        "starts_at": "2099-01-10T09:00", "ends_at": "2099-01-10T12:00", "headcount": 2}).get_json()
    with app.app_context():
        db.session.add_all([_volunteer(i, skills=["心理疏导"], active=True) for i in range(1, 40)])
        db.session.commit()
    token = client.environ_base["HTTP_AUTHORIZATION"]
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, VOLMATCH_ENV="development", SECRET_KEY="preload-test",
               QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite'}", VOLMATCH_BIND=f"127.0.0.1:{port}",
               WEB_CONCURRENCY="2")
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "web:create_app()"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        answers = []
        for _ in range(200):  # until the port opens (after the index is built)
            try:
                for _ in range(6):  # several connections: both workers answer some
                    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/tasks/{task['id']}/matches",
                                                     headers={"Authorization": token, "Connection": "close"})
                    with urllib.request.urlopen(request, timeout=10) as response:
                        answers.append(response.status)
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                import time

                time.sleep(0.1)
        assert answers == [200] * 6, log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert "Traceback" not in text, text
    built = re.findall(r"candidate index: (\d+) people", text)
    assert built == ["39"], text  # once, before the workers started


@pytest.mark.parametrize("changes", [2, 40], ids=["into-the-recent-segment", "merged-into-a-new-main-segment"])
def test_a_change_never_alters_the_index_a_running_match_holds(app, monkeypatch, changes):
    """A match in another thread keeps the index it started with, whole: changes are built aside and swapped in.

    Changed in place, a match running while a person moved would see them neither where they
    were nor where they went (killed in the main segment, not yet in the recent one).
    """
    import matcher.index

    monkeypatch.setattr(matcher.index, "_REBUILD_MIN_ROWS", 10)
    with app.app_context():
        db.session.add_all([_volunteer(i) for i in range(1, 60)])
        db.session.commit()
        cache = IndexCache()
        held = cache.fresh_index()
        rows = db.session.scalars(db.select(Volunteer).order_by(Volunteer.id)).all()
        before = {r.id: held.person(r.id) for r in rows}

        for row in rows[:changes]:
            row.lat, row.skills = 29.8, ["法律援助"]
        db.session.delete(rows[-1])
        db.session.commit()
        fresh = cache.fresh_index()

        assert fresh is not held and rows[-1].id not in fresh
        assert fresh.person(rows[0].id).skills[0] == "法律援助"
        assert len(held) == 59 and {r.id: held.person(r.id) for r in rows} == before
