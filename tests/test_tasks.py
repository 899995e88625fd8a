"""HTTP tests for /api/v1/tasks."""
import datetime as dt
import json

import pytest
from sqlalchemy import event

from web.extensions import db

from .conftest import backdate_task, bearer, days_ahead, post_past_task

URL = "/api/v1/tasks"
IN_THE_PAST = "is in the past: a task is posted before it starts"


def task(station, **overrides):
    """A valid task body for a station (2099-01-10 is a Saturday)."""
    body = {
        "station_id": station["id"],
        "title": "留守儿童周末课业辅导",
        "skills": ["课业辅导"],
        "required_skills": [],
        "starts_at": "2099-01-10T09:00:00",
        "ends_at": "2099-01-10T12:00:00",
        "headcount": 3,
        "target_group": "留守儿童",
    }
    body.update(overrides)
    return body


def test_create_defaults_to_station_place_and_shanghai_time(client, station):
    response = client.post(URL, json=task(station))
    assert response.status_code == 201
    created = response.get_json()
    assert created["status"] == "open" and created["role"] == "any"
    assert created["location"] == station["location"] and created["district"] == station["district"]
    assert created["starts_at"] == "2099-01-10T09:00:00+08:00"
    assert created["accepted"] == 0 and created["invited"] == 0
    assert client.get(f"{URL}/{created['id']}").get_json() == created


def test_offsets_are_honoured(client, station):
    body = task(station, starts_at="2099-01-10T01:00:00Z", ends_at="2099-01-10T04:00:00+00:00")
    created = client.post(URL, json=body).get_json()
    assert created["starts_at"] == "2099-01-10T09:00:00+08:00"
    assert created["ends_at"] == "2099-01-10T12:00:00+08:00"


def test_own_address(client, station):
    created = client.post(URL, json=task(station, address="重庆市沙坪坝区三峡广场")).get_json()
    assert created["district"] == "沙坪坝区"


@pytest.mark.parametrize("overrides,field", [
    ({"ends_at": "2099-01-10T08:00:00"}, "ends_at"),
    ({"ends_at": "2099-01-10T09:00:00"}, "ends_at"),
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"starts_at": "2026-01-10T09:00:00", "ends_at": "2026-01-10T12:00:00"}, "starts_at"),  # in the past
    ({"headcount": 0}, "headcount"),
    ({"headcount": 1.5}, "headcount"),
    ({"role": "boss"}, "role"),
    ({"title": ""}, "title"),
    ({"station_id": 999}, "station_id"),
    ({"address": "月球"}, "address"),
    ({"status": "done"}, "status"),
    ({"required_skills": "急救"}, "required_skills"),
    ({"extra": 1}, "extra"),
])
def test_invalid_task_is_422(client, station, overrides, field):
    response = client.post(URL, json=task(station, **overrides))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_task_in_the_past_is_refused(client, station):
    """A task is posted before it starts: an hour ago is refused, naming the field; later today is fine."""
    now = dt.datetime.now(dt.UTC)
    hour_ago = {"starts_at": (now - dt.timedelta(hours=1)).isoformat(), "ends_at": (now + dt.timedelta(hours=1)).isoformat()}
    response = client.post(URL, json=task(station, **hour_ago))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"starts_at": [IN_THE_PAST]}
    soon = {"starts_at": (now + dt.timedelta(minutes=5)).isoformat(), "ends_at": (now + dt.timedelta(hours=2)).isoformat()}
    assert client.post(URL, json=task(station, **soon)).status_code == 201


def test_moving_a_task_into_the_past_is_refused(app, client, station):
    created = client.post(URL, json=task(station, starts_at=days_ahead(3), ends_at=days_ahead(3, 12))).get_json()
    response = client.patch(f"{URL}/{created['id']}", json={"starts_at": "2026-01-10T09:00"})
    assert response.status_code == 422 and response.get_json()["errors"] == {"starts_at": [IN_THE_PAST]}
    # A task under way (started yesterday, still going) keeps its start when other fields change,
    # even when the start is sent again unchanged (an edit form sends every field).
    backdate_task(app, created["id"], 4)
    running = client.get(f"{URL}/{created['id']}").get_json()
    response = client.patch(f"{URL}/{created['id']}", json={"title": "周末辅导", "starts_at": running["starts_at"],
                                                            "ends_at": days_ahead(1, 12)})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["starts_at"] == running["starts_at"]


def test_past_error_in_chinese_when_asked(client, station):
    """The console sends Accept-Language: zh; the field error is then said in Chinese (when the catalogue has it)."""
    from web.i18n import chinese

    response = client.post(URL, json=task(station, starts_at="2026-01-10T09:00", ends_at="2026-01-10T12:00"),
                           headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    said = response.get_json()["errors"]["starts_at"]
    assert said == [chinese().get(IN_THE_PAST) or IN_THE_PAST]


def test_missing_required_fields(client):
    response = client.post(URL, json={})
    assert response.status_code == 422
    assert {"station_id", "title", "starts_at", "ends_at"} <= set(response.get_json()["errors"])


def test_patch_keeps_window_ordered(client, station):
    created = client.post(URL, json=task(station)).get_json()
    response = client.patch(f"{URL}/{created['id']}", json={"ends_at": "2099-01-10T08:00:00"})
    assert response.status_code == 422 and "ends_at" in response.get_json()["errors"]
    response = client.patch(f"{URL}/{created['id']}", json={"headcount": 5, "title": "周末辅导"})
    assert response.status_code == 200
    assert response.get_json()["headcount"] == 5


def test_edit_every_field_with_the_rules_of_posting(client, station):
    created = client.post(URL, json=task(station)).get_json()
    change = {"title": "周三晚间课业辅导", "skills": ["英语", "课业辅导"], "required_skills": ["教师资格"],
              "starts_at": "2099-01-14T19:00", "ends_at": "2099-01-14T21:00", "headcount": 5, "role": "volunteer",
              "target_group": "随迁子女", "description": "三楼活动室", "address": "重庆市沙坪坝区三峡广场"}
    response = client.patch(f"{URL}/{created['id']}", json=change)
    assert response.status_code == 200, response.get_json()
    edited = response.get_json()
    assert {k: edited[k] for k in change if k not in ("starts_at", "ends_at")} == \
        {k: v for k, v in change.items() if k not in ("starts_at", "ends_at")}
    assert (edited["starts_at"], edited["ends_at"]) == ("2099-01-14T19:00:00+08:00", "2099-01-14T21:00:00+08:00")
    assert edited["district"] == "沙坪坝区"
    for bad, field in (({"headcount": 0}, "headcount"), ({"title": ""}, "title"), ({"address": "月球"}, "address"),
                       ({"address": "北京市东城区"}, "address"), ({"role": "boss"}, "role")):  # Beijing: outside the area
        response = client.patch(f"{URL}/{created['id']}", json=bad)
        assert response.status_code == 422 and field in response.get_json()["errors"], (bad, response.get_json())


def test_cancel_and_status_rules(client, app, station):
    created = client.post(URL, json=task(station)).get_json()
    assert client.patch(f"{URL}/{created['id']}", json={"status": "filled"}).status_code == 422
    response = client.patch(f"{URL}/{created['id']}", json={"status": "cancelled"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    # A finished task cannot be cancelled.
    other = client.post(URL, json=task(station)).get_json()
    from web.models import Task

    with app.app_context():
        db.session.get(Task, other["id"]).status = "done"
        db.session.commit()
    response = client.patch(f"{URL}/{other['id']}", json={"status": "cancelled"})
    assert response.status_code == 409 and "status" in response.get_json()["errors"]


def ids(client, query=""):
    response = client.get(URL + query)
    assert response.status_code == 200, response.get_json()
    return [t["id"] for t in response.get_json()]


def test_list_filters(client, station):
    second = client.post("/api/v1/stations", json={"name": "B", "address": "重庆市南岸区"}).get_json()
    a = client.post(URL, json=task(station, starts_at="2099-01-10T09:00:00", ends_at="2099-01-10T12:00:00")).get_json()
    b = client.post(URL, json=task(second, starts_at="2099-01-17T09:00:00", ends_at="2099-01-17T12:00:00")).get_json()
    c = client.post(URL, json=task(second, starts_at="2099-01-24T09:00:00", ends_at="2099-01-24T12:00:00")).get_json()
    client.patch(f"{URL}/{b['id']}", json={"status": "cancelled"})

    assert ids(client) == [a["id"], c["id"]]  # cancelled tasks are left out by default
    assert ids(client, "?include_past=true") == [a["id"], b["id"], c["id"]]
    assert ids(client, f"?station_id={second['id']}") == [c["id"]]
    assert ids(client, "?status=open") == [a["id"], c["id"]]
    assert ids(client, "?status=cancelled") == [b["id"]]
    assert ids(client, "?status=cancelled&status=open") == [a["id"], b["id"], c["id"]]
    assert ids(client, "?from=2099-01-11T00:00:00&include_past=true") == [b["id"], c["id"]]
    assert ids(client, "?from=2099-01-11") == [c["id"]]  # a date: its midnight, local time
    assert ids(client, "?to=2099-01-11T00:00:00") == [a["id"]]
    assert ids(client, "?from=2099-01-10T11:00:00&to=2099-01-10T11:30:00") == [a["id"]]  # windows that overlap
    for bad in ("?from=soon", "?status=finished", "?include_past=maybe"):
        assert client.get(URL + bad).status_code == 422, bad


def test_past_tasks_are_listed_only_when_asked(client, station):
    past = post_past_task(client, task(station, starts_at="2026-01-10T09:00", ends_at="2026-01-10T12:00"))
    upcoming = client.post(URL, json=task(station)).get_json()
    assert past["starts_at"] == "2026-01-10T09:00:00+08:00" and past["status"] == "open"
    assert ids(client) == [upcoming["id"]]
    assert ids(client, "?include_past=true") == [past["id"], upcoming["id"]]
    assert ids(client, "?status=open") == [past["id"], upcoming["id"]]  # a status names exactly what to list
    assert ids(client, "?status=open&include_past=false") == [upcoming["id"]]
    assert ids(client, "?from=2026-01-01&to=2026-02-01&include_past=true") == [past["id"]]
    assert ids(client, "?from=2026-01-01&to=2026-02-01") == [past["id"]]  # a range in the past asks for the past
    assert ids(client, "?from=2026-01-01&to=2026-02-01&include_past=false") == []


def test_counts_of_seats_taken_and_invitations_in_one_query(app, client, station):
    near = {"lat": 29.594, "lon": 106.529}
    people = [client.post("/api/v1/volunteers", json={"name": f"志愿者{i}", "location": near,
                                                      "station_id": station["id"]}).get_json() for i in range(4)]
    first = client.post(URL, json=task(station, headcount=5)).get_json()
    second = client.post(URL, json=task(station, starts_at="2099-01-17T09:00", ends_at="2099-01-17T12:00")).get_json()
    client.post(URL, json=task(station, starts_at="2099-01-24T09:00", ends_at="2099-01-24T12:00"))
    asked = [client.post(f"{URL}/{first['id']}/assignments", json={"volunteer_id": p["id"]}).get_json() for p in people]
    for a, status in zip(asked, ("accepted", "accepted", "declined")):
        assert client.patch(f"/api/v1/assignments/{a['id']}", json={"status": status}).status_code == 200
    client.post(f"{URL}/{second['id']}/assignments", json={"volunteer_id": people[0]["id"]})

    statements = []
    with app.app_context():
        listen = lambda *args: statements.append(args[2])  # noqa: E731  (the SQL of each statement)
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            listed = client.get(URL).get_json()
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
    assert [(t["accepted"], t["invited"], t["headcount"]) for t in listed] == [(2, 1, 5), (0, 1, 3), (0, 0, 3)]
    assert sum("FROM assignment" in sql for sql in statements) == 1, statements
    one = client.get(f"{URL}/{first['id']}").get_json()
    assert (one["accepted"], one["invited"]) == (2, 1)


def test_pages_and_the_pagination_header(client, station):
    made = [client.post(URL, json=task(station, title=f"第{i}次", starts_at=f"2099-02-{i + 1:02d}T09:00",
                                       ends_at=f"2099-02-{i + 1:02d}T11:00")).get_json()["id"] for i in range(12)]
    response = client.get(URL)
    assert [t["id"] for t in response.get_json()] == made[:10]  # 10 a page by default
    header = json.loads(response.headers["X-Pagination"])
    assert header == {"total": 12, "total_pages": 2, "first_page": 1, "last_page": 2, "page": 1, "next_page": 2}
    response = client.get(URL + "?page=3&page_size=5")
    assert [t["id"] for t in response.get_json()] == made[10:]
    assert json.loads(response.headers["X-Pagination"])["previous_page"] == 2
    assert client.get(URL + "?page=9").get_json() == []
    assert client.get(URL + "?page_size=101").status_code == 422


def test_repeat_weekly_at_the_same_local_time(client, station):
    created = client.post(URL, json=task(station, title="周三晚间课业辅导", starts_at="2099-01-07T19:00",
                                         ends_at="2099-01-07T21:30", address="重庆市沙坪坝区三峡广场")).get_json()
    invited = client.post("/api/v1/volunteers", json={"name": "王芳", "location": {"lat": 29.56, "lon": 106.45}}).get_json()
    client.post(f"{URL}/{created['id']}/assignments", json={"volunteer_id": invited["id"]})
    dates = ["2099-01-14", "2099-01-21", "2099-01-14", "2099-01-28"]
    response = client.post(f"{URL}/{created['id']}/repeat", json={"dates": dates})
    assert response.status_code == 201, response.get_json()
    copies = response.get_json()
    assert [(c["starts_at"], c["ends_at"]) for c in copies] == [
        (f"2099-01-{d}T19:00:00+08:00", f"2099-01-{d}T21:30:00+08:00") for d in (14, 21, 28)]  # each date once
    same = ("title", "skills", "required_skills", "role", "headcount", "target_group", "location", "address", "district",
            "station_id", "description")
    assert all({k: c[k] for k in same} == {k: created[k] for k in same} for c in copies)
    assert all(c["status"] == "open" and c["accepted"] == c["invited"] == 0 for c in copies)
    assert len({c["id"] for c in copies} | {created["id"]}) == 4
    assert ids(client) == [created["id"], *(c["id"] for c in copies)]


def test_a_task_that_has_passed_can_be_repeated_into_the_future(client, station):
    past = post_past_task(client, task(station, starts_at="2026-01-07T19:00", ends_at="2026-01-07T21:00"))
    response = client.post(f"{URL}/{past['id']}/repeat", json={"dates": ["2099-01-07"]})
    assert response.status_code == 201 and response.get_json()[0]["starts_at"] == "2099-01-07T19:00:00+08:00"


def test_repeat_refuses_past_dates_and_changes_nothing(client, station):
    created = client.post(URL, json=task(station)).get_json()
    today = days_ahead(0)[:10]
    response = client.post(f"{URL}/{created['id']}/repeat", json={"dates": ["2099-01-17", "2026-01-10", "2099-01-24"]})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"dates": {"1": [IN_THE_PAST]}}
    assert ids(client, "?include_past=true") == [created["id"]]  # all or nothing
    # Today at 09:00 is in the past or not depending on the time of day: decided by the start, not the date.
    response = client.post(f"{URL}/{created['id']}/repeat", json={"dates": [today]})
    starts = dt.datetime.fromisoformat(f"{today}T09:00+08:00")
    assert response.status_code == (201 if starts > dt.datetime.now(dt.UTC) else 422)


@pytest.mark.parametrize("body,field", [
    ({}, "dates"), ({"dates": []}, "dates"), ({"dates": "2099-01-17"}, "dates"), ({"dates": ["next week"]}, "dates"),
    ({"dates": [f"2099-{m:02d}-{d:02d}" for m in range(1, 3) for d in range(1, 28)]}, "dates"),  # 54: at most 52
    ({"dates": ["2199-01-01"]}, "dates"), ({"dates": ["2099-01-17"], "times": 3}, "times"),
])
def test_bad_repeat_bodies_are_422(client, station, body, field):
    created = client.post(URL, json=task(station)).get_json()
    response = client.post(f"{URL}/{created['id']}/repeat", json=body)
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()


def test_only_the_tasks_station_may_edit_or_repeat(client, anon, station, make_token):
    created = client.post(URL, json=task(station)).get_json()
    own = bearer(make_token("coordinator", station_ids=[station["id"]]))
    second = client.post("/api/v1/stations", json={"name": "B", "address": "重庆市南岸区"}).get_json()
    other = bearer(make_token("coordinator", station_ids=[second["id"]]))
    repeat = {"dates": ["2099-01-17"]}
    assert anon.post(f"{URL}/{created['id']}/repeat", json=repeat, environ_base=other).status_code == 404
    assert anon.patch(f"{URL}/{created['id']}", json={"title": "x"}, environ_base=other).status_code == 404
    assert anon.post(f"{URL}/{created['id']}/repeat", json=repeat, environ_base=own).status_code == 201
    assert anon.patch(f"{URL}/{created['id']}", json={"title": "x"}, environ_base=own).status_code == 200


def test_unknown_task_is_404(client):
    assert client.get(f"{URL}/5").status_code == 404
    assert client.patch(f"{URL}/5", json={"title": "x"}).status_code == 404
    assert client.post(f"{URL}/5/repeat", json={"dates": ["2099-01-17"]}).status_code == 404
