"""Assignments over HTTP: every transition and every 409, booking rules, service records, feedback."""
import csv
import io

import pytest

from .conftest import bearer, post_past_task

SAT = [{"day": "sat", "start": "08:00", "end": "18:00"}]
PAST = ("2026-01-10T09:00", "2026-01-10T12:00")  # a Saturday that has passed: service can be recorded
FUTURE = ("2099-01-10T09:00", "2099-01-10T12:00")


def join(client, person, station_id):
    """The person signed up asking to join the station; staff confirm it (membership is theirs to set)."""
    response = client.patch(f"/api/v1/volunteers/{person['id']}", json={"station_id": station_id})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["requested_station_id"] is None
    return {**person, "station_id": station_id}


@pytest.fixture
def people(client, anon, station):
    """Three volunteers near the station (members of it), free on Saturdays; each with their own token."""
    out = []
    for i, name in enumerate(("张伟", "李娜", "王芳")):
        body = {"name": name, "phone": f"1380013800{i}", "location": {"lat": 29.594 + i / 1000, "lon": 106.529},
                "skills": ["心理疏导"], "availability": SAT, "requested_station_id": station["id"]}
        response = anon.post("/api/v1/volunteers", json=body)
        assert response.status_code == 201, response.get_json()
        out.append(join(client, response.get_json(), station["id"]))
    return out


@pytest.fixture
def new_task(client, station):
    def make(window=PAST, headcount=1, **extra):
        body = {"station_id": station["id"], "title": extra.pop("title", "探访"), "starts_at": window[0],
                "ends_at": window[1], "headcount": headcount, **extra}
        return post_past_task(client, body)  # a past window: posted ahead, then moved back
    return make


def invite(client, task, person):
    response = client.post(f"/api/v1/tasks/{task['id']}/assignments", json={"volunteer_id": person["id"]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def patch(client, assignment, expect=200, token=None, **body):
    kwargs = {"environ_overrides": bearer(token)} if token else {}
    response = client.patch(f"/api/v1/assignments/{assignment['id']}", json=body, **kwargs)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def task_status(client, task):
    return client.get(f"/api/v1/tasks/{task['id']}").get_json()["status"]


# --- transitions ------------------------------------------------------------------------------

def test_invite_accept_complete_with_verified_hours(client, people, new_task):
    task = new_task()
    a = invite(client, task, people[0])
    assert a["status"] == "invited" and a["name"] == "张伟" and a["task"]["title"] == "探访"
    assert a["phone"] == "13800138000"  # the station may reach whom it invited
    assert patch(client, a, status="accepted")["status"] == "accepted"
    assert task_status(client, task) == "filled"
    done = patch(client, a, status="completed", hours=2.5)
    assert done["status"] == "completed" and done["record"] == {
        "id": done["record"]["id"], "hours": 2.5, "source": "verified", "status": "confirmed", "note": None}
    assert task_status(client, task) == "done"
    assert done["phone"] == "13800138000"  # admins see contact details


@pytest.mark.parametrize("path,target", [
    (["declined"], "accepted"), (["declined"], "completed"), (["declined"], "cancelled"),
    (["accepted", "completed"], "cancelled"), (["accepted", "completed"], "accepted"),
    (["cancelled"], "accepted"), (["accepted", "no_show"], "completed"), ([], "completed"), ([], "no_show"),
    (["accepted"], "declined"), (["accepted"], "accepted"),
])
def test_moves_the_state_machine_does_not_allow_are_409_with_the_state(client, people, new_task, path, target):
    a = invite(client, new_task(), people[0])
    for step in path:
        patch(client, a, status=step, **({"hours": 3} if step == "completed" else {}))
    body = {"status": target, **({"hours": 1} if target == "completed" else {})}
    error = patch(client, a, expect=409, **body)
    current = path[-1] if path else "invited"
    assert error["message"] == f"assignment {a['id']} is {current}; it cannot become {target}"


def test_volunteer_answers_own_invitation_and_self_reports_hours(client, people, new_task):
    me = people[0]
    upcoming = invite(client, new_task(window=FUTURE), me)
    assert patch(client, upcoming, token=me["token"], status="accepted")["status"] == "accepted"
    # A task that has ended cannot be accepted by the person (the station may record the past).
    a = invite(client, new_task(), me)
    error = patch(client, a, expect=409, token=me["token"], status="accepted")
    assert error["message"] == f"task {a['task_id']} has ended: ask the station to record your service"
    patch(client, a, status="accepted")
    done = patch(client, a, token=me["token"], status="completed", hours=3)
    assert done["record"]["source"] == "self_reported" and done["record"]["status"] == "pending"
    # More than the window: volunteers cannot, stations only with a reason.
    other = invite(client, new_task(window=("2026-01-17T09:00", "2026-01-17T11:00")), me)
    patch(client, other, status="accepted")
    error = patch(client, other, expect=422, token=me["token"], status="completed", hours=5)
    assert "hours" in error["errors"]
    error = patch(client, other, expect=422, status="completed", hours=5)
    assert "reason" in error["errors"]
    done = patch(client, other, status="completed", hours=5, reason="留下帮忙收拾场地")
    assert done["record"]["note"] == "留下帮忙收拾场地" and done["record"]["source"] == "verified"


def test_station_only_moves_are_403_for_the_volunteer(client, people, new_task):
    me = people[0]
    a = invite(client, new_task(), me)
    patch(client, a, status="accepted")
    patch(client, a, expect=403, token=me["token"], status="no_show")
    patch(client, a, status="completed", hours=3)
    patch(client, a, expect=403, token=me["token"], rating=5)


def test_other_people_cannot_see_or_touch_an_assignment(client, anon, people, new_task, make_token, station):
    a = invite(client, new_task(), people[0])
    other_station = client.post("/api/v1/stations", json={"name": "别站", "address": "重庆市南岸区"}).get_json()
    outsider = make_token("coordinator", station_ids=[other_station["id"]])
    for token in (people[1]["token"], outsider):
        assert anon.get(f"/api/v1/assignments/{a['id']}", environ_overrides=bearer(token)).status_code == 404
        patch(anon, a, expect=404, token=token, status="accepted")
    assert anon.get(f"/api/v1/assignments/{a['id']}").status_code == 401
    own = make_token("coordinator", station_ids=[station["id"]])
    assert anon.get(f"/api/v1/assignments/{a['id']}", environ_overrides=bearer(own)).status_code == 200


@pytest.mark.parametrize("body,field", [
    ({}, "_schema"), ({"status": "done"}, "status"), ({"status": "completed"}, "hours"),
    ({"status": "accepted", "hours": 2}, "hours"), ({"status": "completed", "hours": 0}, "hours"),
    ({"status": "completed", "hours": -1}, "hours"), ({"status": "completed", "hours": 1000}, "hours"),
    ({"rating": 6}, "rating"), ({"rating": "5"}, "rating"), ({"status": "accepted", "extra": 1}, "extra"),
])
def test_bad_patch_bodies_are_422_naming_the_field(client, people, new_task, body, field):
    a = invite(client, new_task(), people[0])
    error = patch(client, a, expect=422, **body)
    assert field in error["errors"]


def test_cannot_complete_before_the_task_starts(client, people, new_task):
    a = invite(client, new_task(window=FUTURE), people[0])
    patch(client, a, status="accepted")
    assert "has not started yet" in patch(client, a, expect=409, status="completed", hours=2)["message"]


# --- booking rules ----------------------------------------------------------------------------

def test_a_person_is_never_accepted_on_two_overlapping_tasks(client, people, new_task):
    me = people[0]
    morning = new_task(window=("2026-01-10T09:00", "2026-01-10T12:00"), title="上午")
    overlapping = new_task(window=("2026-01-10T11:00", "2026-01-10T14:00"), title="午间")
    back_to_back = new_task(window=("2026-01-10T12:00", "2026-01-10T15:00"), title="下午")
    first, second, third = (invite(client, t, me) for t in (morning, overlapping, back_to_back))
    patch(client, first, status="accepted")
    error = patch(client, second, expect=409, status="accepted")
    assert error["message"] == f"person {me['id']} is already booked at that time (task {morning['id']}, 上午)"
    assert patch(client, third, status="accepted")["status"] == "accepted"  # touching ends do not overlap
    # Once the first is cancelled, the clash is gone.
    patch(client, first, status="cancelled")
    assert patch(client, second, expect=409, status="accepted")["message"].endswith(f"(task {back_to_back['id']}, 下午)")
    patch(client, third, status="cancelled")
    assert patch(client, second, status="accepted")["status"] == "accepted"


def test_a_completion_keeps_its_seat(client, people, new_task):
    task = new_task(headcount=2)
    a, b, c = (invite(client, task, p) for p in people)
    patch(client, a, status="accepted")
    patch(client, b, status="accepted")
    patch(client, a, status="completed", hours=3)
    assert task_status(client, task) == "filled"
    assert patch(client, c, expect=409, status="accepted")["message"] == f"task {task['id']} is full: 2 of 2 places taken"
    # Served is booked too: the same person cannot accept an overlapping task afterwards.
    overlapping = new_task(window=("2026-01-10T10:00", "2026-01-10T11:00"))
    response = client.post(f"/api/v1/tasks/{overlapping['id']}/assignments", json={"volunteer_id": people[0]["id"]})
    assert response.status_code == 409 and "already booked" in response.get_json()["message"]


def test_a_task_never_has_more_accepted_than_its_headcount(client, people, new_task):
    task = new_task(window=FUTURE, headcount=2)  # its start can still move (to a time not in the past)
    a, b, c = (invite(client, task, p) for p in people)
    patch(client, a, status="accepted")
    assert task_status(client, task) == "open"
    patch(client, b, status="accepted")
    assert task_status(client, task) == "filled"
    assert patch(client, c, expect=409, status="accepted")["message"] == f"task {task['id']} is full: 2 of 2 places taken"
    # A cancellation reopens the task and frees a place.
    patch(client, b, status="cancelled")
    assert task_status(client, task) == "open"
    assert patch(client, c, status="accepted")["status"] == "accepted"
    # The headcount cannot drop below who accepted; raising it reopens the task.
    response = client.patch(f"/api/v1/tasks/{task['id']}", json={"headcount": 1})
    assert response.status_code == 409 and "headcount" in response.get_json()["errors"]
    assert client.patch(f"/api/v1/tasks/{task['id']}", json={"headcount": 3}).get_json()["status"] == "open"
    assert client.patch(f"/api/v1/tasks/{task['id']}", json={"headcount": 2}).get_json()["status"] == "filled"
    response = client.patch(f"/api/v1/tasks/{task['id']}", json={"starts_at": "2099-01-10T08:00"})
    assert response.status_code == 409


@pytest.mark.parametrize("setup,message", [
    ("again", "already has an assignment"), ("filled", "is filled"), ("cancelled", "is cancelled"),
    ("inactive", "is not active"), ("role", "needs a social_worker"), ("booked", "already booked at that time"),
])
def test_invitations_that_could_never_be_accepted_are_409(client, people, new_task, setup, message):
    me = people[0]
    task = new_task(role="social_worker") if setup == "role" else new_task()
    if setup == "again":
        invite(client, task, me)
    elif setup == "filled":
        patch(client, invite(client, task, people[1]), status="accepted")
    elif setup == "cancelled":
        client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "cancelled"})
    elif setup == "inactive":
        client.patch(f"/api/v1/volunteers/{me['id']}", json={"active": False})
    elif setup == "booked":
        patch(client, invite(client, new_task(), me), status="accepted")
    response = client.post(f"/api/v1/tasks/{task['id']}/assignments", json={"volunteer_id": me["id"]})
    assert response.status_code == 409 and message in response.get_json()["message"]


def test_declined_invitation_can_be_renewed_and_bad_invites_are_422(client, people, new_task):
    task = new_task()
    a = invite(client, task, people[0])
    patch(client, a, status="declined")
    again = invite(client, task, people[0])
    assert again["id"] == a["id"] and again["status"] == "invited" and again["responded_at"] is None
    for body, field in (({"volunteer_id": 999999}, "volunteer_id"), ({}, "volunteer_id"),
                        ({"volunteer_id": "1"}, "volunteer_id")):
        response = client.post(f"/api/v1/tasks/{task['id']}/assignments", json=body)
        assert response.status_code == 422 and field in response.get_json()["errors"]


def test_cancelling_a_task_releases_everyone_and_they_did_not_drop_out(client, people, new_task):
    task = new_task(headcount=2)
    a, b = invite(client, task, people[0]), invite(client, task, people[1])
    patch(client, a, status="accepted")
    client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "cancelled"})
    listed = client.get(f"/api/v1/tasks/{task['id']}/assignments").get_json()
    assert [(x["id"], x["status"], x["dropped"]) for x in listed] == [
        (a["id"], "cancelled", False), (b["id"], "cancelled", False)]


def test_lists_per_task_and_per_person(client, people, new_task, make_token, station):
    t1, t2 = new_task(title="一"), new_task(window=("2026-01-17T09:00", "2026-01-17T12:00"), title="二")
    invite(client, t1, people[0])
    invite(client, t1, people[1])
    a = invite(client, t2, people[0])
    patch(client, a, status="declined")
    assert len(client.get(f"/api/v1/tasks/{t1['id']}/assignments").get_json()) == 2
    mine = client.get(f"/api/v1/volunteers/{people[0]['id']}/assignments",
                      environ_overrides=bearer(people[0]["token"])).get_json()
    assert [x["task"]["title"] for x in mine] == ["二", "一"]  # newest task first
    declined = client.get(f"/api/v1/volunteers/{people[0]['id']}/assignments?status=declined").get_json()
    assert [x["id"] for x in declined] == [a["id"]]
    assert client.get(f"/api/v1/volunteers/{people[1]['id']}/assignments",
                      environ_overrides=bearer(people[0]["token"])).status_code == 404


# --- contact details --------------------------------------------------------------------------

def test_an_invitation_reveals_nothing_and_acceptance_reveals_the_phone(client, anon, new_task, make_token, station):
    # Registered with no station, living 3 km from the station, free on Saturdays: she could serve.
    stranger = anon.post("/api/v1/volunteers", json={"name": "赵敏", "phone": "13912345678", "address": "重庆市南岸区",
                                                     "location": {"lat": 29.62, "lon": 106.53},
                                                     "availability": SAT}).get_json()
    far_away = anon.post("/api/v1/volunteers", json={"name": "远方", "phone": "13912345679", "address": "重庆市万州区",
                                                     "availability": SAT}).get_json()
    coordinator = make_token("coordinator", station_ids=[station["id"]])
    as_coordinator = bearer(coordinator)
    assert anon.get(f"/api/v1/volunteers/{stranger['id']}", environ_overrides=as_coordinator).status_code == 404
    task = new_task(window=FUTURE)
    # Someone who could not serve (or does not exist) cannot be invited by a coordinator: the same 422.
    for pid in (far_away["id"], 999999):
        response = anon.post(f"/api/v1/tasks/{task['id']}/assignments", json={"volunteer_id": pid},
                             environ_overrides=as_coordinator)
        assert response.status_code == 422
        assert response.get_json()["errors"]["volunteer_id"] == [f"no person with id {pid} who could serve on this task"]
    response = anon.post(f"/api/v1/tasks/{task['id']}/assignments", json={"volunteer_id": stranger["id"]},
                         environ_overrides=as_coordinator)
    # Invited only: the station knows of her, but neither the answer nor her profile says how to reach her.
    assert response.status_code == 201 and response.get_json()["phone"] == "139****5678"
    person = anon.get(f"/api/v1/volunteers/{stranger['id']}", environ_overrides=as_coordinator).get_json()
    assert person["phone"] == "139****5678" and person["address"] is None and person["location"] is None
    patch(anon, response.get_json(), token=stranger["token"], status="accepted")
    listed = anon.get(f"/api/v1/tasks/{task['id']}/assignments", environ_overrides=as_coordinator).get_json()
    assert listed[0]["phone"] == "13912345678"  # she accepted: the station may reach her
    person = anon.get(f"/api/v1/volunteers/{stranger['id']}", environ_overrides=as_coordinator).get_json()
    assert person["phone"] == "13912345678" and person["address"] == "重庆市南岸区"
    audit = client.get(f"/api/v1/audit?volunteer_id={stranger['id']}").get_json()
    assert any(e["action"] == "read" and e["fields"] == ["phone"] and e["actor"].startswith("coordinator") for e in audit)


# --- service records, feedback, and the matcher -------------------------------------------------

def test_service_records_totals_csv_and_confirmation(client, people, new_task, make_token, station):
    me = people[0]
    verified_task = new_task(title="助老")
    reported_task = new_task(window=("2026-02-07T09:00", "2026-02-07T12:00"), title="课业辅导")
    a, b = invite(client, verified_task, me), invite(client, reported_task, me)
    for x in (a, b):
        patch(client, x, status="accepted")
    patch(client, a, status="completed", hours=3)
    b = patch(client, b, token=me["token"], status="completed", hours=2.5)
    url = f"/api/v1/volunteers/{me['id']}/service-records"
    history = client.get(url, environ_overrides=bearer(me["token"])).get_json()
    assert [r["task_title"] for r in history["records"]] == ["助老", "课业辅导"]
    assert history["totals"] == {"verified": 3.0, "self_reported": 0.0, "pending": 2.5}
    assert history["total_hours"] == 3.0 and history["volunteer_number"] == me["volunteer_number"]
    # The station confirms the self-reported hours, correcting them.
    coordinator = make_token("coordinator", station_ids=[station["id"]])
    record_url = f"/api/v1/service-records/{b['record']['id']}"
    assert client.patch(record_url, json={"status": "confirmed", "hours": 2},
                        environ_overrides=bearer(me["token"])).status_code == 403
    confirmed = client.patch(record_url, json={"status": "confirmed", "hours": 2}, environ_overrides=bearer(coordinator))
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"
    assert client.patch(record_url, json={"status": "confirmed"}).status_code == 409
    history = client.get(url).get_json()
    assert history["totals"] == {"verified": 3.0, "self_reported": 2.0, "pending": 0.0} and history["total_hours"] == 5.0
    assert client.get(url + "?from=2026-02-01T00:00").get_json()["total_hours"] == 2.0
    # The CSV for certificates: name and volunteer number, no phone.
    response = client.get(url + ".csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff") and "13800138000" not in text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1] == ["张伟", me["volunteer_number"], "2026-01-10", "龙溪街道社工站", "助老", "3", "verified", "confirmed"]
    assert rows[2][2:6] == ["2026-02-07", "龙溪街道社工站", "课业辅导", "2"]
    assert rows[-1][4:6] == ["合计 total (confirmed)", "5"]
    assert client.get(f"/api/v1/volunteers/{me['id']}/service-records.csv",
                      environ_overrides=bearer(people[1]["token"])).status_code == 404


def test_feedback_and_no_shows_feed_the_matchers_reliability(client, people, new_task):
    rated_task, missed_task = new_task(title="一"), new_task(window=("2026-01-17T09:00", "2026-01-17T12:00"), title="二")
    good, flaky = people[0], people[1]
    a = invite(client, rated_task, good)
    patch(client, invite(client, rated_task, people[2]), status="declined")  # declining is no drop
    patch(client, a, status="accepted")
    error = patch(client, a, expect=409, rating=5)
    assert "only a completed one is rated" in error["message"]
    patch(client, a, status="completed", hours=3)
    rated = patch(client, a, rating=5, comment="耐心细致")
    assert rated["rating"] == 5 and rated["comment"] == "耐心细致"
    b = invite(client, missed_task, flaky)
    patch(client, b, status="accepted")
    assert patch(client, b, status="no_show")["dropped"] is True
    upcoming = new_task(window=("2026-03-07T09:00", "2026-03-07T12:00"), skills=["心理疏导"])
    results = client.get(f"/api/v1/tasks/{upcoming['id']}/matches?w_fairness=0").get_json()["results"]
    by_id = {r["volunteer_id"]: r for r in results}
    assert by_id[good["id"]]["components"]["reliability"] == pytest.approx(2 / 3, abs=1e-3)
    assert by_id[flaky["id"]]["components"]["reliability"] == pytest.approx(1 / 3, abs=1e-3)
    assert by_id[people[2]["id"]]["components"]["reliability"] == pytest.approx(1 / 2, abs=1e-3)
    assert [r["volunteer_id"] for r in results] == [good["id"], people[2]["id"], flaky["id"]]
    assert "已完成 0/1 次服务" in by_id[flaky["id"]]["reasons"] and "已完成 1/1 次服务" in by_id[good["id"]]["reasons"]


def test_volunteer_cancelling_after_accepting_counts_as_dropped(client, people, new_task):
    me = people[0]
    a = invite(client, new_task(window=FUTURE), me)
    patch(client, a, token=me["token"], status="accepted")
    assert patch(client, a, token=me["token"], status="cancelled")["dropped"] is True
    invited_only = invite(client, new_task(window=("2026-01-17T09:00", "2026-01-17T12:00")), me)
    assert patch(client, invited_only, token=me["token"], status="cancelled")["dropped"] is False


def test_matches_leave_out_people_already_asked_or_booked(client, people, new_task):
    task = new_task(skills=["心理疏导"], headcount=3)
    clash = new_task(window=("2026-01-10T10:00", "2026-01-10T11:00"), title="冲突")
    ids = lambda: {r["volunteer_id"] for r in client.get(f"/api/v1/tasks/{task['id']}/matches").get_json()["results"]}  # noqa: E731
    assert ids() == {p["id"] for p in people}
    invite(client, task, people[0])
    patch(client, invite(client, clash, people[1]), status="accepted")
    assert ids() == {people[2]["id"]}


def test_fairness_moves_people_who_served_a_lot_lately_down(client, people, new_task):
    busy = people[0]
    for day in ("2026-02-07", "2026-02-14", "2026-02-21"):
        a = invite(client, new_task(window=(f"{day}T09:00", f"{day}T17:00")), busy)
        patch(client, a, status="accepted")
        patch(client, a, status="completed", hours=8)
    quiet = people[1]
    a = invite(client, new_task(window=("2025-06-07T09:00", "2025-06-07T17:00")), quiet)
    patch(client, a, status="accepted")
    patch(client, a, status="completed", hours=8)
    upcoming = new_task(window=("2026-03-07T09:00", "2026-03-07T12:00"), skills=["心理疏导"])
    results = client.get(f"/api/v1/tasks/{upcoming['id']}/matches").get_json()["results"]
    by_id = {r["volunteer_id"]: r for r in results}
    assert by_id[busy["id"]]["components"]["fairness"] < 0.5 < by_id[quiet["id"]]["components"]["fairness"]
    # Reliability favours `busy` (4/5 against 2/3): fairness still puts `quiet` first.
    assert by_id[busy["id"]]["components"]["reliability"] == pytest.approx(4 / 5, abs=1e-3)
    assert by_id[quiet["id"]]["components"]["reliability"] == pytest.approx(2 / 3, abs=1e-3)
    order = [r["volunteer_id"] for r in results]
    assert order.index(quiet["id"]) < order.index(busy["id"])
    off = client.get(f"/api/v1/tasks/{upcoming['id']}/matches?w_fairness=0&w_reliability=0").get_json()["results"]
    assert [r["volunteer_id"] for r in off][:2] == [busy["id"], quiet["id"]]  # nearer first when fairness is off


def test_the_station_rejects_a_false_self_report(client, people, new_task):
    me = people[0]
    a = invite(client, new_task(), me)
    patch(client, a, status="accepted")
    done = patch(client, a, token=me["token"], status="completed", hours=3)
    url = f"/api/v1/service-records/{done['record']['id']}"
    response = client.patch(url, json={"status": "rejected", "reason": "当天未到场"})
    assert response.status_code == 200 and response.get_json()["status"] == "rejected"
    assert client.patch(url, json={"status": "confirmed"}).status_code == 409  # reviewed once
    after = client.get(f"/api/v1/assignments/{a['id']}").get_json()
    assert after["status"] == "no_show" and after["dropped"] is True
    history = client.get(f"/api/v1/volunteers/{me['id']}/service-records").get_json()
    assert history["totals"] == {"verified": 0.0, "self_reported": 0.0, "pending": 0.0}
    assert [r["status"] for r in history["records"]] == ["rejected"]
    upcoming = new_task(window=("2026-03-07T09:00", "2026-03-07T12:00"), skills=["心理疏导"])
    mine = next(r for r in client.get(f"/api/v1/tasks/{upcoming['id']}/matches").get_json()["results"]
                if r["volunteer_id"] == me["id"])
    assert mine["components"]["reliability"] == pytest.approx(1 / 3, abs=1e-3)  # 0 completed, 1 dropped
    assert mine["components"]["fairness"] == 1.0  # the hours were taken back
