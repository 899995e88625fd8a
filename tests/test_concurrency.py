"""Bookings under real concurrency: a gunicorn server (several processes and threads) on this test's
database, hit by 20+ clients at once trying to double-book one person and over-fill one task.

Runs on SQLite and, with VOLMATCH_TEST_DATABASE_URL, on PostgreSQL.
"""
import http.client
import json
import threading

import pytest
from sqlalchemy import func, select

from web.extensions import db
from web.models import Assignment

CLIENTS = 24
SAT = [{"day": "sat", "start": "08:00", "end": "18:00"}]

pytestmark = pytest.mark.slow


def _storm(port, token, requests):
    """Send every (method, path, body) at once from its own thread and connection; return the statuses."""
    barrier = threading.Barrier(len(requests))
    statuses = [None] * len(requests)

    def send(i, method, path, body):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.connect()  # connect first, so the barrier releases requests, not handshakes
        barrier.wait()
        conn.request(method, path, body=json.dumps(body),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        statuses[i] = (response.status, json.loads(response.read() or b"null"))
        conn.close()

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.fixture
def admin_token(make_token):
    return make_token("admin")


def _person(client, name, i):
    body = {"name": name, "phone": f"139{i:08d}", "availability": SAT, "address": "重庆市渝北区"}
    response = client.post("/api/v1/volunteers", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_no_double_booking_and_no_overfilling_under_concurrent_accepts(app, client, station, live_server, admin_token):
    server = live_server
    # One person invited to CLIENTS overlapping tasks (each shifted by 10 minutes: all overlap the first).
    someone = _person(client, "抢手", 0)
    windows = [(f"2099-01-10T09:{m:02d}", f"2099-01-10T11:{m:02d}") for m in range(0, 50, 10)]
    windows += [(f"2099-01-10T10:{m:02d}", f"2099-01-10T12:{m:02d}") for m in range(0, 50, 10)]
    windows = (windows * 3)[:CLIENTS]
    same_person = []
    for i, window in enumerate(windows):
        task = client.post("/api/v1/tasks", json={"station_id": station["id"], "title": f"重叠{i}",
                                                  "starts_at": window[0], "ends_at": window[1]}).get_json()
        same_person.append(client.post(f"/api/v1/tasks/{task['id']}/assignments",
                                       json={"volunteer_id": someone["id"]}).get_json()["id"])
    # One task with 3 places and CLIENTS people invited.
    crowd = [_person(client, f"人{i}", i + 1) for i in range(CLIENTS)]
    full = client.post("/api/v1/tasks", json={"station_id": station["id"], "title": "三个名额", "headcount": 3,
                                              "starts_at": "2099-01-17T09:00", "ends_at": "2099-01-17T12:00"}).get_json()
    same_task = [client.post(f"/api/v1/tasks/{full['id']}/assignments", json={"volunteer_id": p["id"]}).get_json()["id"]
                 for p in crowd]

    accept = {"status": "accepted"}
    statuses = _storm(server, admin_token, [("PATCH", f"/api/v1/assignments/{a}", accept)
                                            for a in same_person + same_task])
    person_results, task_results = statuses[:CLIENTS], statuses[CLIENTS:]
    codes = sorted(code for code, _ in statuses)
    assert set(codes) <= {200, 409}, statuses  # no 5xx, no "database is locked"
    assert sum(code == 200 for code, _ in person_results) == 1
    assert sum(code == 200 for code, _ in task_results) == 3
    assert all("already booked" in body["message"] for code, body in person_results if code == 409)
    assert all("is full" in body["message"] for code, body in task_results if code == 409)
    with app.app_context():
        accepted = select(func.count()).where(Assignment.status == "accepted")
        assert db.session.scalar(accepted.where(Assignment.volunteer_id == someone["id"])) == 1
        assert db.session.scalar(accepted.where(Assignment.task_id == full["id"])) == 3
    assert client.get(f"/api/v1/tasks/{full['id']}").get_json()["status"] == "filled"

    # Second round on the same rows: the winners cancel while everyone else retries at once.
    winners = [a for a, (code, _) in zip(same_person + same_task, statuses) if code == 200]
    losers = [a for a, (code, _) in zip(same_person + same_task, statuses) if code == 409]
    storm = [("PATCH", f"/api/v1/assignments/{a}", {"status": "cancelled"}) for a in winners]
    storm += [("PATCH", f"/api/v1/assignments/{a}", accept) for a in losers]
    statuses = _storm(server, admin_token, storm)
    assert {code for code, _ in statuses} <= {200, 409}, statuses
    with app.app_context():
        assert db.session.scalar(accepted.where(Assignment.volunteer_id == someone["id"])) <= 1
        assert db.session.scalar(accepted.where(Assignment.task_id == full["id"])) <= 3
        # Whatever the interleaving, the rows agree with the answers given.
        answered = sum(code == 200 for code, _ in statuses[len(winners):])
        now_accepted = db.session.scalar(select(func.count()).where(Assignment.status == "accepted"))
        assert now_accepted == answered


def test_concurrent_invitations_of_one_person_to_one_task_make_one_assignment(app, client, station, live_server,
                                                                             admin_token):
    server = live_server
    someone = _person(client, "热门", 0)
    task = client.post("/api/v1/tasks", json={"station_id": station["id"], "title": "一次", "starts_at": "2099-01-10T09:00",
                                              "ends_at": "2099-01-10T12:00"}).get_json()
    statuses = _storm(server, admin_token, [("POST", f"/api/v1/tasks/{task['id']}/assignments",
                                             {"volunteer_id": someone["id"]})] * CLIENTS)
    codes = [code for code, _ in statuses]
    assert codes.count(201) == 1 and codes.count(409) == CLIENTS - 1, statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Assignment.task_id == task["id"])) == 1
