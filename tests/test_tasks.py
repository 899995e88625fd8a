"""HTTP tests for /api/v1/tasks."""
import pytest

URL = "/api/v1/tasks"


def task(station, **overrides):
    """A valid task body for a station."""
    body = {
        "station_id": station["id"],
        "title": "留守儿童周末课业辅导",
        "skills": ["课业辅导"],
        "required_skills": [],
        "starts_at": "2026-12-05T09:00:00",
        "ends_at": "2026-12-05T12:00:00",
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
    assert created["starts_at"] == "2026-12-05T09:00:00+08:00"
    assert client.get(f"{URL}/{created['id']}").get_json() == created


def test_offsets_are_honoured(client, station):
    body = task(station, starts_at="2026-12-05T01:00:00Z", ends_at="2026-12-05T04:00:00+00:00")
    created = client.post(URL, json=body).get_json()
    assert created["starts_at"] == "2026-12-05T09:00:00+08:00"
    assert created["ends_at"] == "2026-12-05T12:00:00+08:00"


def test_own_address(client, station):
    created = client.post(URL, json=task(station, address="重庆市沙坪坝区三峡广场")).get_json()
    assert created["district"] == "沙坪坝区"


@pytest.mark.parametrize("overrides,field", [
    ({"ends_at": "2026-12-05T08:00:00"}, "ends_at"),
    ({"ends_at": "2026-12-05T09:00:00"}, "ends_at"),
    ({"starts_at": "tomorrow"}, "starts_at"),
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


def test_missing_required_fields(client):
    response = client.post(URL, json={})
    assert response.status_code == 422
    assert {"station_id", "title", "starts_at", "ends_at"} <= set(response.get_json()["errors"])


def test_patch_keeps_window_ordered(client, station):
    created = client.post(URL, json=task(station)).get_json()
    response = client.patch(f"{URL}/{created['id']}", json={"ends_at": "2026-12-05T08:00:00"})
    assert response.status_code == 422 and "ends_at" in response.get_json()["errors"]
    response = client.patch(f"{URL}/{created['id']}", json={"headcount": 5, "title": "周末辅导"})
    assert response.status_code == 200
    assert response.get_json()["headcount"] == 5


def test_cancel_and_status_rules(client, app, station):
    created = client.post(URL, json=task(station)).get_json()
    assert client.patch(f"{URL}/{created['id']}", json={"status": "filled"}).status_code == 422
    response = client.patch(f"{URL}/{created['id']}", json={"status": "cancelled"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    # A finished task cannot be cancelled.
    other = client.post(URL, json=task(station)).get_json()
    from web.extensions import db
    from web.models import Task

    with app.app_context():
        db.session.get(Task, other["id"]).status = "done"
        db.session.commit()
    response = client.patch(f"{URL}/{other['id']}", json={"status": "cancelled"})
    assert response.status_code == 409 and "status" in response.get_json()["errors"]


def test_list_filters(client, station):
    second = client.post("/api/v1/stations", json={"name": "B", "address": "重庆市南岸区"}).get_json()
    a = client.post(URL, json=task(station, starts_at="2026-12-05T09:00:00", ends_at="2026-12-05T12:00:00")).get_json()
    b = client.post(URL, json=task(second, starts_at="2026-12-12T09:00:00", ends_at="2026-12-12T12:00:00")).get_json()
    client.patch(f"{URL}/{b['id']}", json={"status": "cancelled"})

    def ids(query):
        response = client.get(URL + query)
        assert response.status_code == 200, response.get_json()
        return [t["id"] for t in response.get_json()]

    assert ids("") == [a["id"], b["id"]]
    assert ids(f"?station_id={second['id']}") == [b["id"]]
    assert ids("?status=open") == [a["id"]]
    assert ids("?from=2026-12-06T00:00:00") == [b["id"]]
    assert ids("?to=2026-12-06T00:00:00") == [a["id"]]
    assert ids("?from=2026-12-05T11:00:00&to=2026-12-05T11:30:00") == [a["id"]]
    assert client.get(URL + "?from=soon").status_code == 422


def test_unknown_task_is_404(client):
    assert client.get(f"{URL}/5").status_code == 404
    assert client.patch(f"{URL}/5", json={"title": "x"}).status_code == 404
