"""Residents' requests (issue 17): public submission, the resident's follow-up, staff triage into a task,
served and rated, with the history; each station sees only the requests of its area."""
import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import select

from web import create_app
from web.common.schemas import LOCAL_TZ
from web.extensions import db
from web.models import AuditEntry, NeedRequest, Notification

from .conftest import bearer

PHONE = "13812345678"
NEAR_A = {"lat": 29.60, "lon": 106.535}  # inside the areas of A (the `station` fixture) and of B, 4 km away
WANZHOU = {"lat": 30.8099, "lon": 108.404}  # C's place, 225 km from A and B
REQUEST = {"text": "独居老人需要有人每周帮忙买菜、陪同聊天", "category": "elderly", "target_group": "elderly",
           "location": NEAR_A, "urgency": "normal", "contact_name": "王阿姨", "phone": "+86 138-1234-5678"}
ZH = {"Accept-Language": "zh-CN"}
CJK = re.compile("[\u4e00-\u9fff]")


def _today():
    return dt.datetime.now(LOCAL_TZ).date()


@pytest.fixture
def world(client, station, make_token):
    """Stations A (the fixture), B overlapping A, C far away; a coordinator of each."""
    b = client.post("/api/v1/stations", json={"name": "B站", "location": {"lat": 29.62, "lon": 106.56}}).get_json()
    c = client.post("/api/v1/stations", json={"name": "C站", "location": WANZHOU}).get_json()
    return {"a": station, "b": b, "c": c,
            "coord_a": bearer(make_token("coordinator", station_ids=[station["id"]])),
            "coord_b": bearer(make_token("coordinator", station_ids=[b["id"]])),
            "coord_c": bearer(make_token("coordinator", station_ids=[c["id"]]))}


def _submit(anon, **changes):
    """Submit REQUEST with changes (a change to None leaves the field out)."""
    body = {k: v for k, v in {**REQUEST, **changes}.items() if v is not None}
    response = anon.post("/api/v1/needs", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _id(client, reference):
    """The request's id, as staff find it by the reference a resident quotes."""
    [need] = client.get(f"/api/v1/needs?reference={reference}").get_json()
    return need["id"]


# ------------------------------------------------------------------ submission


def _without(name):
    return {k: v for k, v in REQUEST.items() if k != name}


def _days(n):
    return (_today() + dt.timedelta(days=n)).isoformat()


BAD = [
    ("text", _without("text")),
    ("text", {**REQUEST, "text": "   "}),
    ("text", {**REQUEST, "text": "帮" * 2001}),
    ("category", {**REQUEST, "category": "cooking"}),
    ("target_group", _without("target_group")),
    ("target_group", {**REQUEST, "target_group": "kids"}),
    ("location", _without("location")),
    ("location", {**REQUEST, "location": {"lat": 95, "lon": 106.5}}),
    ("location", {**REQUEST, "location": {"lat": 39.9, "lon": 116.4}}),  # Beijing: no station's area
    ("address", {**_without("location"), "address": "火星基地一号"}),
    ("from_date", {**REQUEST, "from_date": "2026-13-01"}),
    ("from_date", {**REQUEST, "from_date": _days(-1)}),
    ("from_date", {**REQUEST, "to_date": _days(3)}),
    ("to_date", {**REQUEST, "from_date": _days(3), "to_date": _days(2)}),
    ("to_date", {**REQUEST, "from_date": _days(1), "to_date": _days(400)}),
    ("asap", {**REQUEST, "asap": True, "from_date": _days(2)}),
    ("asap", {**REQUEST, "asap": "yes"}),
    ("urgency", {**REQUEST, "urgency": "now"}),
    ("contact_name", _without("contact_name")),
    ("contact_name", {**REQUEST, "contact_name": "王" * 101}),
    ("phone", _without("phone")),
    ("phone", {**REQUEST, "phone": "12345"}),
    ("phone", {**REQUEST, "phone": "1381234567x"}),
    ("language", {**REQUEST, "language": "fr"}),
    ("station_id", {**REQUEST, "station_id": 1}),  # unknown fields are refused, not ignored
]


@pytest.mark.parametrize("field,body", BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
def test_every_bad_field_is_a_422_naming_it_in_the_readers_language(world, anon, client, field, body):
    response = anon.post("/api/v1/needs", json=body, headers=ZH)
    assert response.status_code == 422, response.get_json()
    answer = response.get_json()
    assert field in answer["errors"], answer
    said = str(answer["errors"][field])
    assert CJK.search(said) and CJK.search(answer["message"]), answer  # said in Chinese
    assert client.get("/api/v1/needs").get_json() == []  # nothing stored


def test_a_request_by_address_with_dates(world, anon, client):
    receipt = _submit(anon, location=None, address="重庆市江北区", from_date=_days(2), to_date=_days(4),
                      urgency="high")
    need = client.get(f"/api/v1/needs/{_id(client, receipt['reference'])}").get_json()
    assert need["district"] == "江北区" and need["address"] == "重庆市江北区"
    assert (need["from_date"], need["to_date"], need["asap"]) == (_days(2), _days(4), False)
    assert need["phone"] == PHONE and need["status"] == "new"  # admins see it in full
    one_day = _submit(anon, from_date=_days(1))
    assert client.get(f"/api/v1/needs/{_id(client, one_day['reference'])}").get_json()["to_date"] == _days(1)
    asap = client.get(f"/api/v1/needs/{_id(client, _submit(anon)['reference'])}").get_json()
    assert asap["asap"] is True and asap["from_date"] is None and asap["urgency"] == "normal"


# ------------------------------------------------------------------ the resident's follow-up


def test_the_resident_follows_with_the_secret_token_and_learns_nothing_else(world, anon, app):
    receipt = _submit(anon)
    reference, token = receipt["reference"], receipt["token"]
    assert re.fullmatch(r"N[2-9A-HJ-NP-Z]{8}", reference) and len(token) >= 32
    assert receipt["follow_up_url"] == f"http://127.0.0.1:5000/need/{reference}?t={token}"
    with app.app_context():
        stored = db.session.scalar(select(NeedRequest.token_hash))
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored

    by_header = anon.get(f"/api/v1/needs/follow/{reference}", headers={"X-Need-Token": token})
    by_query = anon.get(f"/api/v1/needs/follow/{reference.lower()}?t={token}")
    assert by_header.status_code == by_query.status_code == 200
    view = by_header.get_json()
    assert view == by_query.get_json()
    assert view["status"] == "new" and view["text"] == REQUEST["text"] and view["district"] == "渝北区"
    assert [e["what"] for e in view["history"]] == ["submitted"]
    text = by_header.get_data(as_text=True)
    assert PHONE not in text and "王阿姨" not in text and "id" not in view and "token" not in view
    assert "actor" not in str(view["history"])

    other = _submit(anon, text="孩子放学后需要课业辅导", target_group="left_behind_children", category="children")
    unknown = "NZZZZZZZZ"
    answers = {
        "wrong token": anon.get(f"/api/v1/needs/follow/{reference}?t=wrong"),
        "no token": anon.get(f"/api/v1/needs/follow/{reference}"),
        "another request's token": anon.get(f"/api/v1/needs/follow/{reference}", headers={"X-Need-Token": other["token"]}),
        "unknown reference": anon.get(f"/api/v1/needs/follow/{unknown}?t={token}"),
    }
    for case, response in answers.items():
        assert response.status_code == 404, case
        body = response.get_json()
        assert body == {**answers["unknown reference"].get_json(),
                        "message": body["message"]}, case  # the same answer, whatever was wrong
        assert body["message"].replace(reference, unknown) == answers["unknown reference"].get_json()["message"]
        assert other["reference"] not in response.get_data(as_text=True)
    assert anon.get(f"/api/v1/needs/follow/{other['reference']}?t={token}").status_code == 404


def test_submission_is_rate_limited_per_address(app, make_token, station):
    limited = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "RATELIMIT_ENABLED": True, "NEED_SUBMIT_RATE_LIMIT": "2 per hour"})
    try:
        anon = limited.test_client()
        codes = [anon.post("/api/v1/needs", json=REQUEST).status_code for _ in range(3)]
        assert codes == [201, 201, 429]
        refused = anon.post("/api/v1/needs", json=REQUEST, headers=ZH)
        assert refused.status_code == 429 and "Retry-After" in refused.headers
        assert CJK.search(refused.get_json()["message"])
        other = anon.post("/api/v1/needs", json=REQUEST, environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 201  # another address has its own budget
        coordinator = bearer(make_token("coordinator", station_ids=[station["id"]]))
        assert anon.post("/api/v1/needs", json=REQUEST, environ_base=coordinator).status_code == 201  # staff: no limit
    finally:
        with limited.app_context():
            db.engine.dispose()


# ------------------------------------------------------------------ triage


def test_triage_from_request_to_task_to_served_to_rated_with_the_history(world, anon, client, app):
    receipt = _submit(anon, category=None)  # the resident did not know: the station sets it
    reference, token = receipt["reference"], receipt["token"]
    coord_a, coord_b = world["coord_a"], world["coord_b"]

    # Both stations whose areas cover the place see it in their queue, the phone masked, no address or point.
    for coordinator in (coord_a, coord_b):
        response = anon.get("/api/v1/needs", environ_base=coordinator)
        assert response.status_code == 200 and "X-Pagination" in response.headers
        [listed] = response.get_json()
        assert listed["reference"] == reference and listed["phone"] == "138****5678"
        assert listed["location"] is None and listed["address"] is None and listed["district"] == "渝北区"
        assert PHONE not in response.get_data(as_text=True)
    need_id = listed["id"]
    url = f"/api/v1/needs/{need_id}"

    changed = anon.patch(url, json={"category": "elderly", "urgency": "high"}, environ_base=coord_a)
    assert changed.status_code == 200 and changed.get_json()["urgency"] == "high"
    assert anon.post(f"{url}/task", json={}, environ_base=coord_a).status_code == 409  # take it first
    not_ours = anon.patch(url, json={"status": "taken", "station_id": world["b"]["id"]}, environ_base=coord_a)
    assert not_ours.status_code == 422 and "station_id" in not_ours.get_json()["errors"]
    taken = anon.patch(url, json={"status": "taken", "station_id": world["a"]["id"]}, environ_base=coord_a)
    assert taken.status_code == 200, taken.get_json()
    taken = taken.get_json()
    assert taken["status"] == "taken" and taken["station_id"] == world["a"]["id"]
    assert taken["phone"] == PHONE and taken["location"] == NEAR_A  # the station that took it reaches the resident

    # Now only A acts on it: B neither lists, reads nor changes it; a second take is a conflict.
    assert anon.get("/api/v1/needs", environ_base=coord_b).get_json() == []
    assert anon.get(url, environ_base=coord_b).status_code == 404
    assert anon.patch(url, json={"urgency": "low"}, environ_base=coord_b).status_code == 404
    again = client.patch(url, json={"status": "taken", "station_id": world["b"]["id"]})
    assert again.status_code == 409

    follow = anon.get(f"/api/v1/needs/follow/{reference}?t={token}").get_json()
    assert follow["status"] == "taken" and follow["station"] == world["a"]["name"]

    made = anon.post(f"{url}/task", json={}, environ_base=coord_a)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["status"] == "task_created"
    task = anon.get(f"/api/v1/tasks/{made.get_json()['task_id']}", environ_base=coord_a).get_json()
    assert task["station_id"] == world["a"]["id"] and task["title"] == "为老服务：" + REQUEST["text"]
    assert task["skills"] and task["target_group"] == "老年人" and task["description"] == REQUEST["text"]
    assert task["address"] is None and task["location"] != NEAR_A  # the 500 m cell's centre, not the home
    assert abs(task["location"]["lat"] - NEAR_A["lat"]) < 0.005 and abs(task["location"]["lon"] - NEAR_A["lon"]) < 0.005
    starts = dt.datetime.fromisoformat(task["starts_at"])
    assert starts.date() == _today() + dt.timedelta(days=1) and starts.hour == 9
    assert PHONE not in str(task) and "王阿姨" not in str(task)
    assert anon.post(f"{url}/task", json={}, environ_base=coord_a).status_code == 409  # one task

    early = anon.post(f"/api/v1/needs/follow/{reference}/rating?t={token}", json={"rating": 5})
    assert early.status_code == 409  # not served yet
    served = anon.patch(url, json={"status": "served"}, environ_base=coord_a)
    assert served.status_code == 200 and served.get_json()["served_at"]
    assert anon.post(f"/api/v1/needs/follow/{reference}/rating?t=wrong", json={"rating": 5}).status_code == 404
    rated = anon.post(f"/api/v1/needs/follow/{reference}/rating", json={"rating": 5, "comment": "谢谢，服务很周到！"},
                      headers={"X-Need-Token": token})
    assert rated.status_code == 200, rated.get_json()
    assert rated.get_json()["rating"] == 5 and rated.get_json()["comment"] == "谢谢，服务很周到！"
    assert anon.post(f"/api/v1/needs/follow/{reference}/rating?t={token}", json={"rating": 1}).status_code == 409
    closed = anon.patch(url, json={"status": "closed", "reason": "done", "note": "回访满意"}, environ_base=coord_a)
    assert closed.status_code == 200 and closed.get_json()["close_reason"] == "done"
    assert anon.patch(url, json={"urgency": "low"}, environ_base=coord_a).status_code == 409  # closed

    # The history: every step, with who and when.
    history = anon.get(url, environ_base=coord_a).get_json()["history"]
    steps = [(e["what"], e["actor"].split("#")[0]) for e in history]
    assert steps == [("submitted", "resident"), ("category", "coordinator"), ("urgency", "coordinator"),
                     ("taken", "coordinator"), ("task_created", "coordinator"), ("served", "coordinator"),
                     ("rated", "resident"), ("closed", "coordinator")]
    assert history[0]["details"] == {"source": "resident"} and history[0]["token_id"] is None
    assert history[2]["details"] == {"from": "normal", "to": "high"}
    assert history[4]["details"] == {"task_id": task["id"]}
    assert history[7]["details"] == {"reason": "done", "note": "回访满意"}
    assert all(e["at"] for e in history)

    # The resident's own view: the public steps, no staff, no notes.
    follow = anon.get(f"/api/v1/needs/follow/{reference}?t={token}")
    view = follow.get_json()
    assert [e["what"] for e in view["history"]] == ["submitted", "taken", "task_created", "served", "rated", "closed"]
    assert view["status"] == "closed" and view["close_reason"] == "done" and view["rating"] == 5
    assert view["task_starts_at"] == task["starts_at"]
    assert "coordinator" not in follow.get_data(as_text=True) and "回访满意" not in follow.get_data(as_text=True)

    # Closed requests leave the queue unless asked for.
    assert anon.get("/api/v1/needs", environ_base=coord_a).get_json() == []
    assert len(anon.get("/api/v1/needs?status=closed", environ_base=coord_a).get_json()) == 1

    # The resident heard of each step by SMS (the outbox), in Chinese; nothing else went to them.
    from web.notify.messages import render

    with app.app_context():
        notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
        assert [n.kind for n in notes] == ["need_taken", "need_task", "need_served", "need_closed"]
        assert all(n.params["phone"] == PHONE and n.params["reference"] == reference for n in notes)
        assert [d.channel for n in notes for d in n.deliveries] == ["sms"] * 4
        planned = render(notes[1].kind, notes[1].params, notes[1].language).text
        assert reference in planned and world["a"]["name"] in planned and "9:00" in planned
        # A's coordinator was shown the phone in full: audited, naming the request.
        reads = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "read")).all()
        assert any(e.detail == {"need_id": need_id} and "phone" in e.fields and e.actor.startswith("coordinator")
                   for e in reads)


def test_attaching_a_request_to_an_open_task_of_the_station(world, anon, client):
    coord_a = world["coord_a"]
    task = anon.post("/api/v1/tasks", environ_base=coord_a, json={
        "station_id": world["a"]["id"], "title": "周末助老", "starts_at": _days(3) + "T09:00",
        "ends_at": _days(3) + "T11:00"}).get_json()
    other = client.post("/api/v1/tasks", json={"station_id": world["b"]["id"], "title": "B的任务",
                                               "starts_at": _days(3) + "T09:00", "ends_at": _days(3) + "T11:00"})
    need_id = _id(client, _submit(anon)["reference"])
    url = f"/api/v1/needs/{need_id}"
    assert anon.patch(url, json={"status": "taken", "station_id": world["a"]["id"]}, environ_base=coord_a).status_code == 200
    both = anon.post(f"{url}/task", json={"task_id": task["id"], "title": "x"}, environ_base=coord_a)
    assert both.status_code == 422 and "task_id" in both.get_json()["errors"]
    assert anon.post(f"{url}/task", json={"task_id": other.get_json()["id"]}, environ_base=coord_a).status_code == 404
    wrong = client.post(f"{url}/task", json={"task_id": other.get_json()["id"]})  # an admin: not A's task
    assert wrong.status_code == 422 and "task_id" in wrong.get_json()["errors"]
    attached = anon.post(f"{url}/task", json={"task_id": task["id"]}, environ_base=coord_a)
    assert attached.status_code == 201 and attached.get_json()["task_id"] == task["id"]
    assert attached.get_json()["history"][-1]["what"] == "task_attached"


def test_the_task_body_overrides_the_draft(world, anon, client):
    need_id = _id(client, _submit(anon, category=None, text="需要法律咨询，工资被拖欠了三个月")["reference"])
    url = f"/api/v1/needs/{need_id}"
    assert client.patch(url, json={"status": "taken", "station_id": world["a"]["id"]}).status_code == 200
    bad = client.post(f"{url}/task", json={"starts_at": _days(2) + "T10:00", "ends_at": _days(2) + "T09:00"})
    assert bad.status_code == 422 and "ends_at" in bad.get_json()["errors"]
    past = client.post(f"{url}/task", json={"starts_at": _days(-2) + "T10:00", "ends_at": _days(-2) + "T12:00"})
    assert past.status_code == 422 and "starts_at" in past.get_json()["errors"]
    made = client.post(f"{url}/task", json={"title": "课业辅导", "headcount": 2, "starts_at": _days(2) + "T14:00",
                                            "ends_at": _days(2) + "T16:00", "address": "重庆市江北区"})
    assert made.status_code == 201, made.get_json()
    task = client.get(f"/api/v1/tasks/{made.get_json()['task_id']}").get_json()
    assert (task["title"], task["headcount"], task["address"], task["district"]) == ("课业辅导", 2, "重庆市江北区", "江北区")
    assert task["skills"][0] == "法律援助" and "劳动维权" in task["skills"]  # found in the request's text


# ------------------------------------------------------------------ who sees what


def test_a_station_sees_only_the_requests_of_its_area(world, anon, client, make_token):
    near = _id(client, _submit(anon)["reference"])
    far = _id(client, _submit(anon, location=WANZHOU)["reference"])
    coord_c = world["coord_c"]
    [listed] = anon.get("/api/v1/needs", environ_base=coord_c).get_json()
    assert listed["id"] == far
    assert anon.get(f"/api/v1/needs?reference={listed['reference']}", environ_base=world["coord_a"]).get_json() == []
    # The attack: C's coordinator reads, changes, takes and tasks A's request by id: it does not exist for them.
    assert anon.get(f"/api/v1/needs/{near}", environ_base=coord_c).status_code == 404
    for body in ({"urgency": "urgent"}, {"status": "taken", "station_id": world["c"]["id"]},
                 {"status": "closed", "reason": "spam"}):
        assert anon.patch(f"/api/v1/needs/{near}", json=body, environ_base=coord_c).status_code == 404
    assert anon.post(f"/api/v1/needs/{near}/task", json={}, environ_base=coord_c).status_code == 404
    assert anon.get(f"/api/v1/needs/{near}", environ_base=world["coord_a"]).get_json()["urgency"] == "normal"
    assert {n["id"] for n in client.get("/api/v1/needs").get_json()} == {near, far}  # admins see all
    # A coordinator of two stations takes for the one whose area covers the request (422 on station_id otherwise).
    both = bearer(make_token("coordinator", station_ids=[world["a"]["id"], world["c"]["id"]]))
    assert len(anon.get("/api/v1/needs", environ_base=both).get_json()) == 2
    wrong = anon.patch(f"/api/v1/needs/{near}", json={"status": "taken", "station_id": world["c"]["id"]}, environ_base=both)
    assert wrong.status_code == 422 and "station_id" in wrong.get_json()["errors"]
    volunteer = anon.post("/api/v1/volunteers", json={"name": "志愿者", "address": "重庆市江北区"}).get_json()
    assert anon.get("/api/v1/needs", environ_base=bearer(volunteer["token"])).status_code == 403


def test_a_new_station_gets_the_untaken_requests_of_its_area(world, anon, client, make_token):
    near = _id(client, _submit(anon)["reference"])
    d = client.post("/api/v1/stations", json={"name": "D站", "location": {"lat": 29.58, "lon": 106.52}}).get_json()
    coord_d = bearer(make_token("coordinator", station_ids=[d["id"]]))
    assert [n["id"] for n in anon.get("/api/v1/needs", environ_base=coord_d).get_json()] == [near]
    assert client.patch(f"/api/v1/stations/{d['id']}", json={"service_area_km": 0.5}).status_code == 200
    assert anon.get("/api/v1/needs", environ_base=coord_d).get_json() == []
    assert anon.get(f"/api/v1/needs/{near}", environ_base=coord_d).status_code == 404


def test_a_coordinator_submits_on_a_residents_behalf(world, anon, client):
    coord_a = world["coord_a"]
    response = anon.post("/api/v1/needs", json=REQUEST, environ_base=coord_a)
    assert response.status_code == 201 and response.get_json()["token"]
    need = client.get(f"/api/v1/needs/{_id(client, response.get_json()['reference'])}").get_json()
    assert need["history"][0]["details"] == {"source": "coordinator"}
    assert need["history"][0]["actor"].startswith("coordinator#")
    outside = anon.post("/api/v1/needs", json={**REQUEST, "location": WANZHOU}, environ_base=coord_a, headers=ZH)
    assert outside.status_code == 422 and CJK.search(outside.get_json()["errors"]["location"][0])


@pytest.mark.parametrize("body,field", [
    ({}, "_schema"), ({"status": "taken"}, "station_id"), ({"status": "closed"}, "reason"),
    ({"status": "closed", "reason": "bored"}, "reason"), ({"station_id": 1}, "station_id"),
    ({"status": "served", "note": "x"}, "note"), ({"category": "cooking"}, "category"), ({"status": "new"}, "status"),
])
def test_bad_triage_bodies_are_422s_naming_the_field(world, anon, client, body, field):
    need_id = _id(client, _submit(anon)["reference"])
    response = client.patch(f"/api/v1/needs/{need_id}", json=body, headers=ZH)
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()


def test_the_residents_sms_goes_through_the_gateway_outside_quiet_hours(world, anon, client, app, gateway):
    from web.workers.delivery import deliver_due

    receipt = _submit(anon, language="en")
    need_id = _id(client, receipt["reference"])
    assert client.patch(f"/api/v1/needs/{need_id}", json={"status": "taken", "station_id": world["a"]["id"]}).status_code == 200
    assert gateway.requests == []  # nothing is sent inside the request
    night = dt.datetime.combine(_today() + dt.timedelta(days=1), dt.time(23), tzinfo=LOCAL_TZ)
    with app.app_context():
        assert deliver_due(now=night.astimezone(dt.UTC))["later"] == 1  # quiet hours hold a resident's SMS too
        assert deliver_due(now=(night + dt.timedelta(hours=9)).astimezone(dt.UTC))["sent"] == 1
    [sms] = gateway.bodies()
    assert sms["phone"] == PHONE and receipt["reference"] in sms["text"] and world["a"]["name"] in sms["text"]
    assert sms["text"].startswith("【龙溪社工站】Your request")


def test_closing_spam_or_a_duplicate_sends_no_sms(world, anon, client, app):
    for reason in ("spam", "duplicate", "withdrawn"):
        need_id = _id(client, _submit(anon)["reference"])
        assert client.patch(f"/api/v1/needs/{need_id}", json={"status": "closed", "reason": reason}).status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Notification.kind)).all() == ["need_closed"]  # the withdrawn one only
