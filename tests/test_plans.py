"""Batch plans over HTTP: exact plans that beat greedy, hard filters kept, all-or-nothing commits."""
import pytest

from .conftest import bearer

SAT = [{"day": "sat", "start": "08:00", "end": "18:00"}]
NEAR = {"lat": 29.5935, "lon": 106.5289}


def person(anon, name, skills, north_km=0.0, **extra):
    body = {"name": name, "skills": skills, "availability": SAT,
            "location": {"lat": NEAR["lat"] + north_km / 111.2, "lon": NEAR["lon"]}, **extra}
    response = anon.post("/api/v1/volunteers", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def task(client, station, title, skills=(), required=(), window=("2099-01-10T09:00", "2099-01-10T12:00"), headcount=1):
    response = client.post("/api/v1/tasks", json={
        "station_id": station["id"], "title": title, "skills": list(skills), "required_skills": list(required),
        "starts_at": window[0], "ends_at": window[1], "headcount": headcount})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def plan(client, station, expect=201, **body):
    response = client.post(f"/api/v1/stations/{station['id']}/plans", json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


@pytest.fixture
def crafted(client, anon, station):
    """Greedy gives the all-rounder to the first task and leaves the second empty; the optimum does not."""
    first = task(client, station, "心理疏导", skills=["心理疏导"])
    second = task(client, station, "法律咨询", skills=["法律援助"], required=["法律援助"],
                  window=("2099-01-10T10:00", "2099-01-10T11:00"))
    all_rounder = person(anon, "全能", ["心理疏导", "法律援助"])
    counsellor = person(anon, "心理", ["心理咨询"], north_km=2.0)
    return first, second, all_rounder, counsellor


def test_the_plan_beats_greedy_on_a_crafted_instance(client, crafted, station):
    first, second, all_rounder, counsellor = crafted
    body = plan(client, station, task_ids=[first["id"], second["id"]])
    assert body["status"] == "proposed" and body["task_ids"] == [first["id"], second["id"]]
    seats = {(s["task_id"], s["volunteer_id"]) for s in body["seats"]}
    assert seats == {(first["id"], counsellor["id"]), (second["id"], all_rounder["id"])}
    assert body["unfilled"] == []
    assert body["total"] == pytest.approx(sum(s["score"] for s in body["seats"]), abs=1e-3)
    # Greedy: the first task takes the all-rounder, and nobody else holds the second's required skill.
    best_for_first = client.get(f"/api/v1/tasks/{first['id']}/matches").get_json()["results"][0]
    assert best_for_first["volunteer_id"] == all_rounder["id"]
    assert body["greedy_total"] == pytest.approx(best_for_first["score"], abs=1e-3)
    assert body["total"] > body["greedy_total"]


def test_every_seat_passes_the_hard_filters_and_no_one_serves_twice(client, anon, station):
    for i in range(3):
        task(client, station, f"探访{i}", skills=["探访"], headcount=2)
    wrong_role = task(client, station, "个案", skills=["个案管理"], headcount=2)
    client.patch(f"/api/v1/tasks/{wrong_role['id']}", json={"role": "social_worker"})
    for i in range(5):
        person(anon, f"志愿者{i}", ["探访", "陪伴"], north_km=i * 0.5)
    person(anon, "周日才有空", ["探访"], availability=[{"day": "sun", "start": "08:00", "end": "18:00"}])
    person(client, "社工", ["个案管理"], role="social_worker")  # staff set the role
    body = plan(client, station, **{"from": "2099-01-10T00:00", "to": "2099-01-11T00:00"})
    assert len(body["task_ids"]) == 4
    people = [s["volunteer_id"] for s in body["seats"]]
    assert len(people) == len(set(people)) == 6  # 5 volunteers over 3 tasks (6 seats), the social worker on 个案
    for seat in body["seats"]:
        eligible = {r["volunteer_id"] for r in client.get(f"/api/v1/tasks/{seat['task_id']}/matches?limit=200")
                    .get_json()["results"]}
        assert seat["volunteer_id"] in eligible
    by_task = {t: sum(1 for s in body["seats"] if s["task_id"] == t) for t in body["task_ids"]}
    assert all(n <= 2 for n in by_task.values())
    assert sum(u["seats"] for u in body["unfilled"]) == 8 - 6
    assert {u["reason"] for u in body["unfilled"]} <= {
        "the eligible people serve other tasks of this plan better", "only 1 eligible people for 2 open seats"}


def test_commit_invites_everyone_once_and_only_once(client, crafted, station):
    first, second, all_rounder, counsellor = crafted
    body = plan(client, station, task_ids=[first["id"], second["id"]])
    response = client.post(f"/api/v1/plans/{body['id']}/commit")
    assert response.status_code == 200 and response.get_json()["status"] == "committed"
    made = response.get_json()["assignment_ids"]
    assert len(made) == 2
    listed = client.get(f"/api/v1/tasks/{second['id']}/assignments").get_json()
    assert [(a["volunteer_id"], a["status"], a["plan_id"]) for a in listed] == [(all_rounder["id"], "invited", body["id"])]
    again = client.post(f"/api/v1/plans/{body['id']}/commit")
    assert again.status_code == 409 and "committed already" in again.get_json()["message"]
    # Seats taken by invitations are not planned again.
    assert plan(client, station, task_ids=[first["id"], second["id"]])["seats"] == []


def test_commit_refuses_all_when_a_person_became_unavailable(client, crafted, station):
    first, second, all_rounder, counsellor = crafted
    body = plan(client, station, task_ids=[first["id"], second["id"]])
    elsewhere = task(client, station, "别的活动", window=("2099-01-10T08:00", "2099-01-10T10:30"))
    a = client.post(f"/api/v1/tasks/{elsewhere['id']}/assignments", json={"volunteer_id": all_rounder["id"]}).get_json()
    assert client.patch(f"/api/v1/assignments/{a['id']}", json={"status": "accepted"}).status_code == 200
    response = client.post(f"/api/v1/plans/{body['id']}/commit")
    assert response.status_code == 409
    message = response.get_json()["message"]
    assert f"task {second['id']} / person {all_rounder['id']}: person {all_rounder['id']} is already booked" in message
    assert "seats" in response.get_json()["errors"]
    for t in (first, second):
        assert client.get(f"/api/v1/tasks/{t['id']}/assignments").get_json() == []  # all or nothing
    assert client.get(f"/api/v1/plans/{body['id']}").get_json()["status"] == "proposed"


def test_unfilled_seats_say_why(client, anon, station):
    lonely = task(client, station, "手语翻译", skills=["手语"], required=["手语"], headcount=3)
    person(anon, "会手语", ["手语"])
    body = plan(client, station, task_ids=[lonely["id"]])
    assert body["unfilled"] == [{"task_id": lonely["id"], "task_title": lonely["title"], "seats": 2,
                                 "reason": "only 1 eligible people for 3 open seats"}]
    nobody = task(client, station, "无人", required=["量子力学"])
    body = plan(client, station, task_ids=[nobody["id"]])
    assert body["unfilled"][0]["reason"].startswith("nobody passes the hard filters")


@pytest.mark.parametrize("body,field", [
    ({}, "task_ids"), ({"task_ids": []}, "task_ids"), ({"task_ids": [1, 1]}, "task_ids"),
    ({"task_ids": [1], "from": "2099-01-10T00:00", "to": "2099-01-11T00:00"}, "task_ids"),
    ({"from": "2099-01-10T00:00"}, "task_ids"), ({"from": "2099-01-11T00:00", "to": "2099-01-10T00:00"}, "ends_at"),
    ({"task_ids": [999]}, "task_ids"), ({"from": "2098-01-01T00:00", "to": "2098-01-02T00:00"}, "from"),
    ({"task_ids": [1], "limit": 5}, "limit"), ({"task_ids": [1], "w_skill": -1}, "w_skill"),
    ({"task_ids": [1], "partial": "yes"}, "partial"),
])
def test_bad_plan_requests_are_422_naming_the_field(client, station, body, field):
    task(client, station, "一")
    response = client.post(f"/api/v1/stations/{station['id']}/plans", json=body)
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()


def test_plans_only_take_open_tasks_of_the_station(client, station, make_token):
    cancelled = task(client, station, "取消了")
    client.patch(f"/api/v1/tasks/{cancelled['id']}", json={"status": "cancelled"})
    response = client.post(f"/api/v1/stations/{station['id']}/plans", json={"task_ids": [cancelled["id"]]})
    assert response.status_code == 409 and f"task {cancelled['id']} is cancelled" in response.get_json()["message"]
    other = client.post("/api/v1/stations", json={"name": "别站", "address": "重庆市南岸区"}).get_json()
    response = client.post(f"/api/v1/stations/{other['id']}/plans", json={"task_ids": [cancelled["id"]]})
    assert response.status_code == 422
    outsider = bearer(make_token("coordinator", station_ids=[other["id"]]))
    response = client.post(f"/api/v1/stations/{station['id']}/plans", json={"task_ids": [cancelled["id"]]},
                           environ_overrides=outsider)
    assert response.status_code == 403


def test_a_plan_of_too_many_seats_is_refused(client, station):
    big = [task(client, station, f"大活动{i}", headcount=1000) for i in range(4)]
    response = client.post(f"/api/v1/stations/{station['id']}/plans", json={"task_ids": [t["id"] for t in big]})
    assert response.status_code == 422
    assert response.get_json()["errors"]["task_ids"] == ["4000 open seats: plan at most 3000 at once"]


# --- proposed on the queue (Prefer: respond-async) ----------------------------------------------

def wait_for(client, url, until, timeout=60):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url).get_json()
        if until(body):
            return body
        time.sleep(0.05)
    raise AssertionError(f"{url} still {body}")


ASYNC = {"Prefer": "respond-async"}


def test_a_plan_proposed_on_the_queue_is_the_plan_proposed_at_once(client, crafted, station):
    first, second, _, _ = crafted
    body = {"task_ids": [first["id"], second["id"]], "w_distance": 0.3}
    response = client.post(f"/api/v1/stations/{station['id']}/plans", json=body, headers=ASYNC)
    assert response.status_code == 202 and response.headers["Preference-Applied"] == "respond-async"
    queued = response.get_json()
    assert queued["status"] in ("proposing", "proposed") and response.headers["Location"] == f"/api/v1/plans/{queued['id']}"
    solved = wait_for(client, response.headers["Location"], lambda b: b["status"] != "proposing")
    at_once = plan(client, station, **body)
    assert solved["status"] == "proposed" and solved["message"] is None
    for key in ("seats", "unfilled", "total", "greedy_total", "task_ids"):
        assert solved[key] == at_once[key], key
    committed = client.post(f"/api/v1/plans/{solved['id']}/commit")
    assert committed.status_code == 200 and len(committed.get_json()["assignment_ids"]) == 2


def test_a_plan_asked_of_the_queue_is_checked_at_once(client, crafted, station):
    response = client.post(f"/api/v1/stations/{station['id']}/plans", json={"task_ids": [999999]}, headers=ASYNC)
    assert response.status_code == 422 and "task_ids" in response.get_json()["errors"]


def test_a_plan_whose_worker_never_came_fails_and_cannot_be_committed(crafted, station, database_url, tmp_path, app):
    """A web host with no worker (and none ever coming): the plan waits, then the scheduler fails it."""
    import datetime as dt

    from web import create_app
    from web.auth.principal import issue_token
    from web.extensions import db
    from web.workers import background

    first, second, _, _ = crafted
    web_only = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "QUEUE_EMBEDDED": False,
                           "QUEUE_URL": f"sqlite:///{tmp_path / 'nobody.sqlite'}"})
    with web_only.app_context():
        token = issue_token("admin")[1]
        db.session.commit()
    client = web_only.test_client()
    client.environ_base.update(bearer(token))
    queued = client.post(f"/api/v1/stations/{station['id']}/plans", json={"task_ids": [first["id"]]}, headers=ASYNC)
    assert queued.status_code == 202 and queued.get_json()["status"] == "proposing"
    plan_id = queued.get_json()["id"]
    assert client.post(f"/api/v1/plans/{plan_id}/commit").status_code == 409
    with web_only.app_context():
        assert background.fail_stalled(dt.datetime.now(dt.UTC)) == {"plans": 0, "pictures": 0}  # not yet
        assert background.fail_stalled(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11))["plans"] == 1
        db.session.remove()
    failed = client.get(f"/api/v1/plans/{plan_id}").get_json()
    assert failed["status"] == "failed" and "worker stopped" in failed["message"]
    assert client.post(f"/api/v1/plans/{plan_id}/commit").status_code == 409
    with web_only.app_context():
        db.engine.dispose()


def test_with_the_queue_unreachable_a_plan_is_a_503_and_left_failed(crafted, station, database_url, app):
    from web import create_app
    from web.auth.principal import issue_token
    from web.extensions import db
    from web.models import Plan

    first, _, _, _ = crafted
    down = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "QUEUE_EMBEDDED": False,
                       "QUEUE_URL": "redis://127.0.0.1:9/0"})
    with down.app_context():
        token = issue_token("admin")[1]
        db.session.commit()
    response = down.test_client().post(f"/api/v1/stations/{station['id']}/plans", json={"task_ids": [first["id"]]},
                                       headers=ASYNC, environ_base=bearer(token))
    assert response.status_code == 503 and "task queue" in response.get_json()["message"]
    with down.app_context():
        stored = db.session.scalars(db.select(Plan)).one()
        assert stored.status == "failed" and "task queue" in stored.message
        db.session.remove()
        db.engine.dispose()


def test_a_plan_asked_of_the_queue_for_another_station_is_refused_and_nothing_is_queued(client, crafted, station,
                                                                                       make_token, app):
    """Another station's coordinator, and a volunteer, asking the queue for a plan: 403, no plan stored."""
    from web.extensions import db
    from web.models import Plan

    first, _, all_rounder, _ = crafted
    other = client.post("/api/v1/stations", json={"name": "别的站", "address": "重庆市南岸区"}).get_json()
    for token in (make_token("coordinator", station_ids=[other["id"]]), all_rounder["token"]):
        response = client.post(f"/api/v1/stations/{station['id']}/plans", json={"task_ids": [first["id"]]},
                               headers={**ASYNC, "Authorization": f"Bearer {token}"})
        assert response.status_code == 403, response.get_json()
    with app.app_context():
        assert db.session.scalars(db.select(Plan)).all() == []
