"""HTTP tests for GET /api/v1/tasks/<id>/matches and POST /api/v1/matches, and index freshness."""
import subprocess
import sys
import textwrap

import pytest

from matcher.scoring import FACTORS
from web import create_app
from web.extensions import db

from .conftest import bearer

SAT_MORNING = [{"day": "sat", "start": "08:00", "end": "13:00"}]


def add_person(client, name, lat, skills, availability=SAT_MORNING, **extra):
    """Register a person through the API; return their id."""
    body = {"name": name, "location": {"lat": lat, "lon": 106.52}, "skills": skills, "availability": availability, **extra}
    response = client.post("/api/v1/volunteers", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def city(client, station):
    """A station at 29.5935 N, a Saturday-morning task there wanting 心理疏导, and four people."""
    task = client.post("/api/v1/tasks", json={
        "station_id": station["id"], "title": "心理慰藉探访", "skills": ["心理疏导"], "location": {"lat": 29.60, "lon": 106.52},
        "starts_at": "2099-01-10T09:00", "ends_at": "2099-01-10T12:00", "headcount": 2}).get_json()
    ids = {
        "near": add_person(client, "近", 29.605, ["心理咨询"], phone="13800138000"),
        "far": add_person(client, "远", 29.65, ["心理疏导", "法律援助"]),
        "busy": add_person(client, "忙", 29.601, ["心理疏导"], availability=[{"day": "sun", "start": "08:00", "end": "12:00"}]),
        "lawyer": add_person(client, "律", 29.612, ["法律援助"], role="social_worker"),
    }
    return task, ids


def test_ranked_explained_matches(client, city):
    task, ids = city
    response = client.get(f"/api/v1/tasks/{task['id']}/matches")
    assert response.status_code == 200
    body = response.get_json()
    assert body["task_id"] == task["id"]
    ranked = [r["volunteer_id"] for r in body["results"]]
    assert ranked == [ids["near"], ids["far"], ids["lawyer"]]  # `busy` is free only on Sunday
    first = body["results"][0]
    assert set(first) == {"volunteer_id", "name", "role", "district", "direction", "score", "distance_km", "components",
                          "reasons"}
    assert first["reasons"][0] == "有心理咨询 (≈ 心理疏导)" and "周六 09:00–12:00 有空" in first["reasons"]
    assert first["reasons"][-1] == "新志愿者，尚无服务记录" and set(first["components"]) == set(FACTORS)
    assert "13800138000" not in response.get_data(as_text=True)
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= v <= 1 for r in body["results"] for v in [r["score"], *r["components"].values()])


def test_match_answers_are_exactly_what_their_schema_documents(client, city, station):
    """The match routes send the service's plain answer without a marshmallow dump: it must be the documented shape."""
    from web.matching.schemas import MatchResponseSchema

    task, _ = city
    stored = client.get(f"/api/v1/tasks/{task['id']}/matches").get_json()
    unsaved = client.post("/api/v1/matches", json={"station_id": station["id"], "starts_at": "2026-12-05T09:00",
                                                   "ends_at": "2026-12-05T10:00"}).get_json()
    for body in (stored, unsaved):
        assert body["results"] and MatchResponseSchema().dump(body) == body
        assert all(type(r["score"]) is float and type(r["distance_km"]) is float and type(r["volunteer_id"]) is int
                   for r in body["results"])


def test_options(client, city):
    task, ids = city
    url = f"/api/v1/tasks/{task['id']}/matches"
    assert len(client.get(url + "?limit=1").get_json()["results"]) == 1
    near_only = client.get(url + "?max_distance_km=2").get_json()["results"]
    assert {r["volunteer_id"] for r in near_only} == {ids["near"], ids["lawyer"]}
    distance_only = client.get(
        url + "?w_skill=0&w_availability=0&w_distance=1&w_reliability=0&w_fairness=0").get_json()["results"]
    assert [r["volunteer_id"] for r in distance_only] == [ids["near"], ids["lawyer"], ids["far"]]
    partial = client.get(url + "?partial=true").get_json()["results"]
    assert ids["busy"] not in {r["volunteer_id"] for r in partial}  # Sunday covers none of Saturday


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "w_skill=-1",
                                   "w_skill=0&w_distance=0&w_availability=0&w_reliability=0&w_fairness=0",
                                   "max_distance_km=0", "max_distance_km=900", "limit=many"])
def test_bad_options_are_422(client, city, query):
    response = client.get(f"/api/v1/tasks/{city[0]['id']}/matches?{query}")
    assert response.status_code == 422 and response.get_json()["errors"]


def test_unknown_task_is_404(client):
    assert client.get("/api/v1/tasks/999/matches").status_code == 404


def test_required_skills_filter_over_http(client, city):
    task, ids = city
    client.patch(f"/api/v1/tasks/{task['id']}", json={"required_skills": ["法律咨询"]})
    ranked = [r["volunteer_id"] for r in client.get(f"/api/v1/tasks/{task['id']}/matches").get_json()["results"]]
    assert ranked == [ids["far"], ids["lawyer"]]  # 法律咨询 ≈ 法律援助; `far` also has the wanted 心理疏导


def test_post_matches_for_an_unsaved_task(client, city, station):
    _, ids = city
    body = {"location": {"lat": 29.60, "lon": 106.52}, "skills": ["法律援助"], "role": "social_worker",
            "starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T10:00", "limit": 5}
    response = client.post("/api/v1/matches", json=body)
    assert response.status_code == 200
    assert response.get_json()["task_id"] is None
    assert [r["volunteer_id"] for r in response.get_json()["results"]] == [ids["lawyer"]]
    at_station = client.post("/api/v1/matches", json={"station_id": station["id"], "starts_at": "2026-12-05T09:00",
                                                      "ends_at": "2026-12-05T10:00"})
    assert at_station.status_code == 200 and len(at_station.get_json()["results"]) == 3


@pytest.mark.parametrize("body,field", [
    ({"starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T10:00"}, "location"),
    ({"location": {"lat": 29.6, "lon": 106.5}, "starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T08:00"}, "ends_at"),
    ({"location": {"lat": 29.6, "lon": 106.5}, "starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T10:00",
      "limit": 0}, "limit"),
    ({"location": {"lat": 29.6, "lon": 106.5}, "starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T10:00", "x": 1}, "x"),
    ({"station_id": 999, "starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T10:00"}, "station_id"),
])
def test_post_matches_validation(client, body, field):
    response = client.post("/api/v1/matches", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_index_is_fresh_across_app_instances(database_url, city, client, make_token):
    """Two apps on one database: changes through one show in the other's next match."""
    task, ids = city
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with other.app_context():
        from web.auth.principal import issue_token

        token = issue_token("admin")[1]
        db.session.commit()
    reader = other.test_client()
    reader.environ_base.update(bearer(token))
    url = f"/api/v1/tasks/{task['id']}/matches"

    def ranked():
        return [r["volunteer_id"] for r in reader.get(url).get_json()["results"]]

    assert ranked() == [ids["near"], ids["far"], ids["lawyer"]]  # builds the index
    new = add_person(client, "新", 29.6001, ["心理疏导"])
    assert ranked()[0] == new
    client.patch(f"/api/v1/volunteers/{new}", json={"active": False})
    assert new not in ranked()
    client.patch(f"/api/v1/volunteers/{ids['far']}", json={"location": {"lat": 29.6002, "lon": 106.52}})
    assert ranked()[0] == ids["far"]
    client.delete(f"/api/v1/volunteers/{ids['near']}")
    assert ids["near"] not in ranked()
    with other.app_context():
        db.engine.dispose()


def test_index_is_fresh_across_processes(database_url, city, client):
    """A person registered by another OS process appears in this process's next match."""
    task, _ = city
    url = f"/api/v1/tasks/{task['id']}/matches"
    before = client.get(url).get_json()["results"]
    script = textwrap.dedent(f"""
        from web import create_app
        app = create_app({{"TESTING": True, "SQLALCHEMY_DATABASE_URI": {database_url!r}}})
        response = app.test_client().post("/api/v1/volunteers", json={{
            "name": "隔壁进程", "location": {{"lat": 29.6, "lon": 106.52}}, "skills": ["心理疏导"],
            "availability": [{{"day": "sat", "start": "00:00", "end": "24:00"}}]}})
        assert response.status_code == 201, response.get_json()
        print(response.get_json()["id"])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    new_id = int(done.stdout.split()[-1])
    after = client.get(url).get_json()["results"]
    assert after[0]["volunteer_id"] == new_id and len(after) == len(before) + 1


def test_the_match_routes_task_read_decides_as_station_task(app, client, city, station, make_token):
    """`policy.station_task_fields` (a Core select, for the match route) answers exactly as `policy.station_task`
    (the ORM read every other task route uses): the same task fields, or the same error, for every kind of caller."""
    from web.auth import policy
    from web.auth.principal import ANONYMOUS, principal_for_token
    from web.services.matching import TASK_FIELDS, task_fields

    task, ids = city
    other = client.post("/api/v1/stations", json={"name": "另一站", "kind": "community",
                                                  "location": {"lat": 29.56, "lon": 106.57}}).get_json()
    tokens = [make_token("admin"), make_token("coordinator", station_ids=[station["id"]]),
              make_token("coordinator", station_ids=[other["id"]]), make_token("volunteer", volunteer_id=ids["near"])]

    def outcome(read, actor, task_id):
        try:
            found = read(actor, task_id)
        except Exception as exc:  # noqa: BLE001 - the error is the outcome compared
            return type(exc).__name__, str(exc)
        return found.id, found.station_id, {name: getattr(found, name) for name in TASK_FIELDS}

    with app.test_request_context():
        actors = [ANONYMOUS, *(principal_for_token(token) for token in tokens)]
        for actor in actors:
            for task_id in (task["id"], task["id"] + 1000):
                fast, slow = outcome(policy.station_task_fields, actor, task_id), outcome(policy.station_task, actor, task_id)
                assert fast == slow, (actor, task_id)
        allowed = policy.station_task_fields(actors[1], task["id"])
        assert {name: allowed._mapping[name] for name in TASK_FIELDS} == task_fields(policy.station_task(actors[1], task["id"]))
        assert [type(outcome(policy.station_task_fields, a, task["id"])[0]) for a in actors] == [str, int, int, str, str]


def test_a_match_is_audited_as_the_orm_entry_would_be(app, client, city):
    """The match route writes its audit entry with a Core insert: the same row the ORM `audit.log` writes."""
    from sqlalchemy import select

    from web.auth import audit
    from web.auth.principal import Principal
    from web.models import AuditEntry

    task, _ = city
    assert client.get(f"/api/v1/tasks/{task['id']}/matches?limit=2").status_code == 200
    actor = Principal("coordinator", 7, frozenset({1}), via="/api/v1/tasks/1/matches")
    with app.app_context():
        audit.write(actor, "match", detail={"task_id": 1, "results": 3})
        audit.log(actor, "match", detail={"task_id": 1, "results": 3})
        db.session.commit()
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "match").order_by(AuditEntry.id)).all()
        columns = ("token_id", "actor", "action", "volunteer_id", "fields", "path", "detail")
        served, written, logged = ({c: getattr(row, c) for c in columns} for row in rows[-3:])
        assert written == logged
        assert served["detail"] == {"task_id": task["id"], "results": 2} and served["action"] == "match"
        assert rows[-2].at.tzinfo is not None and rows[-2].at <= rows[-1].at
