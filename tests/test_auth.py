"""Access control: a route x role matrix, tokens, masking, the audit log, rate limits."""
import io
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from matcher.geo import coarse_point, geodesic_km
from web import create_app
from web.extensions import db
from web.models import ApiToken

from .conftest import bearer, post_past_task

ID_NUMBER = "11010519491231002X"
P_PHONE, Q_PHONE = "13800138000", "13900139000"
P_ADDRESS = "重庆市渝北区龙溪街道金龙路12号"
R_PHONE = "13500135000"


def _drawn_picture(client):
    """A coverage picture already drawn (stored as a worker stores it: drawing one per test costs seconds)."""
    from web.extensions import db
    from web.models import ReportPicture

    with client.application.app_context():
        picture = ReportPicture(status="done", filters={}, lang="zh", png=b"\x89PNG\r\n\x1a\n")
        db.session.add(picture)
        db.session.commit()
        return {"id": picture.id}


@pytest.fixture
def world(client, anon, make_token):
    """Two stations, a person and a task at each, and a token for every kind of caller."""
    a = client.post("/api/v1/stations", json={"name": "A", "address": "重庆市渝北区"}).get_json()
    b = client.post("/api/v1/stations", json={"name": "B", "address": "重庆市南岸区"}).get_json()
    p = anon.post("/api/v1/volunteers", json={
        "name": "张伟", "phone": P_PHONE, "id_number": ID_NUMBER, "address": P_ADDRESS,
        "requested_station_id": a["id"]}).get_json()
    q = anon.post("/api/v1/volunteers", json={
        "name": "李娜", "phone": Q_PHONE, "address": "重庆市南岸区", "requested_station_id": b["id"]}).get_json()
    for person, station in ((p, a), (q, b)):  # staff confirm the requests to join
        assert client.patch(f"/api/v1/volunteers/{person['id']}", json={"station_id": station["id"]}).status_code == 200
    task = client.post("/api/v1/tasks", json={"station_id": a["id"], "title": "辅导", "starts_at": "2099-01-10T09:00",
                                              "ends_at": "2099-01-10T12:00"}).get_json()  # a Saturday
    # r signed up alone near A, free on Saturdays, never asked: only r and admins may place r. r's
    # home lies 0.2 km beyond the centre of its 500 m cell, on the line from the task.
    centre = coarse_point(a["location"]["lat"] - 0.03, a["location"]["lon"])
    r_home = {"lat": centre[0] - 0.0018, "lon": centre[1]}
    r = anon.post("/api/v1/volunteers", json={
        "name": "陈静", "phone": R_PHONE, "location": r_home, "max_distance_km": 20,
        "availability": [{"day": "sat", "start": "08:00", "end": "18:00"}]}).get_json()
    # A past task at A that p has served on (self-reported, awaiting the station's confirmation).
    past = post_past_task(client, {"station_id": a["id"], "title": "助老", "starts_at": "2026-01-10T09:00",
                                   "ends_at": "2026-01-10T12:00"})
    asg = client.post(f"/api/v1/tasks/{past['id']}/assignments", json={"volunteer_id": p["id"]}).get_json()
    assert client.patch(f"/api/v1/assignments/{asg['id']}", json={"status": "accepted"}).status_code == 200
    response = anon.patch(f"/api/v1/assignments/{asg['id']}", json={"status": "completed", "hours": 2},
                          environ_base=bearer(p["token"]))
    assert response.status_code == 200, response.get_json()
    asg = response.get_json()
    plan = client.post(f"/api/v1/stations/{a['id']}/plans", json={"task_ids": [task["id"]]}).get_json()
    job = _upload(client, a_station=None)
    picture = _drawn_picture(client)
    # A resident's request at A's place (35 km from B, outside B's area), taken by A.
    receipt = anon.post("/api/v1/needs", json={**NEW_NEED, "location": a["location"]}).get_json()
    [need] = client.get(f"/api/v1/needs?reference={receipt['reference']}").get_json()
    assert client.patch(f"/api/v1/needs/{need['id']}", json={"status": "taken", "station_id": a["id"]}).status_code == 200
    tokens = {
        "none": None,
        "self": p["token"],
        "other_volunteer": q["token"],
        "coordinator": make_token("coordinator", station_ids=[a["id"]]),
        "other_coordinator": make_token("coordinator", station_ids=[b["id"]]),
        "admin": make_token("admin"),
    }
    return {"a": a, "b": b, "p": p, "q": q, "r": r, "r_home": r_home, "r_centre": centre, "task": task, "asg": asg,
            "rec": asg["record"], "plan": plan, "job": job, "pic": picture, "tokens": tokens, "need": need,
            "need_receipt": receipt}


ROLES = ["none", "self", "other_volunteer", "coordinator", "other_coordinator", "admin"]
NEW_PERSON = {"name": "王芳", "phone": "13700137000", "address": "重庆市渝北区"}
NEW_TASK = {"title": "探访", "starts_at": "2099-01-11T09:00", "ends_at": "2099-01-11T11:00"}
NEW_NEED = {"text": "老人需要送餐", "target_group": "elderly", "contact_name": "刘奶奶", "phone": "13300133000"}
# (method, path template, body, expected status per role in ROLES order)
ROUTES = [
    ("get", "/api/v1/volunteers", None, [401, 403, 403, 200, 200, 200]),
    ("post", "/api/v1/volunteers", {**NEW_PERSON, "station_id": "{a}"}, [403, 403, 403, 201, 403, 201]),
    # Anyone may ask to join; coordinators register people into their own stations instead.
    ("post", "/api/v1/volunteers", {**NEW_PERSON, "requested_station_id": "{a}"}, [201, 403, 403, 422, 422, 201]),
    ("get", "/api/v1/volunteers/{p}", None, [401, 200, 404, 200, 404, 200]),
    # p is a member of A: A's coordinators correct their station's people (imports follow the same rule).
    ("patch", "/api/v1/volunteers/{p}", {"skills": ["手语"]}, [401, 200, 404, 200, 404, 200]),
    ("patch", "/api/v1/volunteers/{q}", {"skills": ["手语"]}, [401, 404, 200, 404, 200, 200]),
    ("get", "/api/v1/volunteers/{r}", None, [401, 404, 404, 404, 404, 200]),
    # The imports that touched a person: staff only, and only about people they may know of.
    ("get", "/api/v1/volunteers/{p}/imports", None, [401, 403, 403, 200, 404, 200]),
    ("get", "/api/v1/volunteers/{r}/imports", None, [401, 403, 403, 404, 404, 200]),
    ("delete", "/api/v1/volunteers/{p}", None, [401, 204, 404, 403, 404, 204]),
    ("get", "/api/v1/stations", None, [200, 200, 200, 200, 200, 200]),
    ("post", "/api/v1/stations", {"name": "C", "address": "重庆市江北区"}, [401, 403, 403, 403, 403, 201]),
    ("get", "/api/v1/stations/{a}", None, [200, 200, 200, 200, 200, 200]),
    ("patch", "/api/v1/stations/{a}", {"name": "A2"}, [401, 403, 403, 200, 403, 200]),
    ("get", "/api/v1/tasks", None, [401, 200, 200, 200, 200, 200]),
    ("post", "/api/v1/tasks", {**NEW_TASK, "station_id": "{a}"}, [401, 403, 403, 201, 403, 201]),
    ("get", "/api/v1/tasks/{task}", None, [401, 200, 200, 200, 404, 200]),
    ("patch", "/api/v1/tasks/{task}", {"headcount": 2}, [401, 403, 403, 200, 404, 200]),
    ("post", "/api/v1/tasks/{task}/repeat", {"dates": ["2099-01-17"]}, [401, 403, 403, 201, 404, 201]),
    ("get", "/api/v1/audit", None, [401, 403, 403, 403, 403, 200]),
    ("get", "/api/v1/volunteers/{q}", None, [401, 404, 200, 404, 200, 200]),
    ("get", "/api/v1/volunteers/424242", None, [401, 404, 404, 404, 404, 404]),
    ("patch", "/api/v1/tasks/{task}", {"station_id": "{b}", "location": "{b_place}"}, [401, 403, 403, 403, 404, 200]),
    ("get", "/api/v1/tasks/{task}/matches", None, [401, 403, 403, 200, 404, 200]),
    ("post", "/api/v1/matches", {**NEW_TASK, "station_id": "{a}", "partial": True}, [401, 403, 403, 200, 403, 200]),
    # Saturday, near A: r is among the candidates, placed only by their coarse point.
    ("post", "/api/v1/matches", {"starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T12:00", "location": "{a_place}"},
     [401, 403, 403, 200, 422, 200]),
    ("get", "/api/v1/tasks/{task}/assignments", None, [401, 403, 403, 200, 404, 200]),
    # q is of another station and could not serve (no free time): a coordinator may not reach her.
    ("post", "/api/v1/tasks/{task}/assignments", {"volunteer_id": "{q}"}, [401, 403, 403, 422, 404, 201]),
    ("get", "/api/v1/assignments/{asg}", None, [401, 200, 404, 200, 404, 200]),
    ("patch", "/api/v1/assignments/{asg}", {"rating": 4}, [401, 403, 404, 200, 404, 200]),
    ("get", "/api/v1/volunteers/{p}/assignments", None, [401, 200, 404, 200, 404, 200]),
    ("get", "/api/v1/volunteers/{p}/service-records", None, [401, 200, 404, 200, 404, 200]),
    ("get", "/api/v1/volunteers/{p}/service-records.csv", None, [401, 200, 404, 200, 404, 200]),
    ("patch", "/api/v1/service-records/{rec}", {"status": "confirmed"}, [401, 403, 403, 200, 404, 200]),
    ("post", "/api/v1/stations/{a}/plans", {"task_ids": ["{task}"]}, [401, 403, 403, 201, 403, 201]),
    ("get", "/api/v1/plans/{plan}", None, [401, 403, 403, 200, 404, 200]),
    ("post", "/api/v1/plans/{plan}/commit", None, [401, 403, 403, 200, 404, 200]),
    ("get", "/api/v1/reports/coverage", None, [401, 403, 403, 200, 200, 200]),
    ("get", "/api/v1/reports/coverage.png", None, [401, 403, 403, 200, 200, 200]),
    ("get", "/api/v1/reports/coverage.csv", None, [401, 403, 403, 200, 200, 200]),
    ("get", "/api/v1/reports/coverage.xlsx", None, [401, 403, 403, 200, 200, 200]),
    ("post", "/api/v1/reports/coverage-pictures", {}, [401, 403, 403, 202, 202, 202]),
    ("get", "/api/v1/reports/coverage-pictures/{pic}", None, [401, 403, 403, 200, 200, 200]),
    ("get", "/api/v1/reports/coverage-pictures/{pic}/png", None, [401, 403, 403, 200, 200, 200]),
    ("get", "/api/v1/me", None, [401, 200, 200, 200, 200, 200]),
    ("post", "/api/v1/imports", "UPLOAD", [401, 403, 403, 202, 403, 202]),
    ("get", "/api/v1/imports/{job}", None, [401, 403, 403, 404, 404, 200]),
    ("get", "/api/v1/imports/{job}/report.csv", None, [401, 403, 403, 404, 404, 200]),
    # A person's messages are theirs; a task's delivery states and call list are its station's.
    ("get", "/api/v1/volunteers/{p}/notifications", None, [401, 200, 404, 403, 404, 200]),
    ("get", "/api/v1/tasks/{task}/deliveries", None, [401, 403, 403, 200, 404, 200]),
    ("get", "/api/v1/tasks/{task}/call-list", None, [401, 403, 403, 200, 404, 200]),
    ("get", "/api/v1/volunteers/{p}/certificate", None, [401, 200, 404, 403, 404, 200]),
    # Proven by something else than a token: the gateway's signature, a code, a proof, a link.
    ("post", "/api/v1/notifications/sms-replies", {"phone": "13800138000", "text": "TD"}, [401] * 6),
    ("post", "/api/v1/sign-in/codes", {"phone": "13800138000"}, [202] * 6),
    ("post", "/api/v1/sign-in/sessions", {"phone": "13800138000", "code": "000000"}, [401] * 6),
    ("post", "/api/v1/sign-in/sign-up", {"proof": "forged", "name": "王芳", "address": "重庆市渝北区"}, [401] * 6),
    ("delete", "/api/v1/sign-in/sessions", None, [401, 204, 204, 403, 403, 403]),  # staff tokens are no sessions
    ("get", "/api/v1/invitation-links/1.1.forged", None, [404] * 6),
    ("post", "/api/v1/invitation-links/1.1.forged", {"status": "accepted"}, [404] * 6),
    # Residents' requests: anyone asks (a coordinator inside their stations' areas: A's place is outside B's);
    # staff triage what their stations' areas hold (the world's request is taken by A: B no longer sees it).
    ("post", "/api/v1/needs", {**NEW_NEED, "location": "{a_place}"}, [201, 201, 201, 201, 422, 201]),
    ("get", "/api/v1/needs", None, [401, 403, 403, 200, 200, 200]),
    ("get", "/api/v1/needs/{need}", None, [401, 403, 403, 200, 404, 200]),
    ("patch", "/api/v1/needs/{need}", {"urgency": "high"}, [401, 403, 403, 200, 404, 200]),
    ("post", "/api/v1/needs/{need}/task", {}, [401, 403, 403, 201, 404, 201]),
    # The resident's follow-up: the secret token is the proof, whoever sends it; a forged one finds nothing.
    ("get", "/api/v1/needs/follow/{need_ref}?t={need_token}", None, [200] * 6),
    ("get", "/api/v1/needs/follow/NFORGED22?t=forged", None, [404] * 6),
    ("post", "/api/v1/needs/follow/{need_ref}/rating?t={need_token}", {"rating": 5}, [409] * 6),  # not served yet
]

CASES = [(route, role, route[3][i]) for route in ROUTES for role_index, role in enumerate(ROLES)
         for i in [role_index]]


IMPORT_FILE = Path(__file__).parent / "data" / "import" / "dirty.csv"


def _upload(client, a_station, expect=202, **kwargs):
    """Upload the dirty test file (as an admin's world job, or as the caller); wait for the job to end.

    Returns the job (world) or the response (matrix case): no import thread outlives its test.
    """
    data = {"file": (io.BytesIO(IMPORT_FILE.read_bytes()), "dirty.csv")}
    if a_station is not None:
        data["station_id"] = str(a_station)
    response = client.post("/api/v1/imports", data=data, content_type="multipart/form-data", **kwargs)
    if response.status_code == 202:
        job = response.get_json()
        for _ in range(600):
            state = client.get(f"/api/v1/imports/{job['id']}", **kwargs).get_json()["status"]
            if state in ("done", "failed"):
                break
            time.sleep(0.05)
    if expect is None:
        return response
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def _fill(value, world):
    """Put the world's ids into a path or body template."""
    ids = {k: world[k]["id"] for k in ("a", "b", "p", "q", "r", "task", "asg", "rec", "plan", "job", "pic", "need")}
    ids.update(need_ref=world["need_receipt"]["reference"], need_token=world["need_receipt"]["token"])
    if value in ("{a_place}", "{b_place}"):
        return world[value[1]]["location"]
    if isinstance(value, str):
        return int(value.format(**ids)) if value.startswith("{") and value.endswith("}") else value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


@pytest.mark.parametrize("route,role,expected", CASES,
                         ids=[f"{r[0].upper()} {r[1]} as {role}" for r, role, _ in CASES])
def test_authorisation_matrix(world, anon, route, role, expected):
    method, path, body, _ = route
    token = world["tokens"][role]
    kwargs = {"environ_base": bearer(token)} if token else {}
    if body == "UPLOAD":
        response = _upload(anon, a_station=world["a"]["id"], expect=None, **kwargs)
    else:
        if body is not None:
            kwargs["json"] = _fill(body, world)
        response = getattr(anon, method)(_fill(path, world), **kwargs)
    assert response.status_code == expected, response.get_data()[:500]
    text = response.get_data().decode("utf-8", errors="replace")  # PNG reports are bytes
    # The full ID number is never returned to anyone; contact details only to the person, admins and
    # the coordinators of the person's station (p is A's, q is B's); r's to nobody but admins.
    assert ID_NUMBER not in text
    if role not in ("self", "admin", "coordinator"):
        assert P_PHONE not in text and P_ADDRESS not in text
    if role not in ("other_volunteer", "admin", "other_coordinator"):
        assert Q_PHONE not in text
    if role != "admin":
        assert R_PHONE not in text
        assert f"{world['r_home']['lat']:.5f}"[:-1] not in text  # not even r's home latitude to 10 m
    if role != "admin" and response.is_json and response.get_data():
        shown = _assert_coarse(response.get_json(), world)
        if body is not None and "{a_place}" in str(body) and expected == 200:
            assert shown == 1  # the row that asks near A does show r (by the coarse point only)


def _assert_coarse(body, world):
    """Any distance to r shown to a coordinator is measured from r's cell centre, not r's home; how many were shown."""
    results = body.get("results", []) if isinstance(body, dict) else []
    shown = 0
    for result in results:
        if result.get("volunteer_id") == world["r"]["id"]:
            task = world["a"]["location"]
            coarse = geodesic_km(task["lat"], task["lon"], *world["r_centre"])
            exact = geodesic_km(task["lat"], task["lon"], world["r_home"]["lat"], world["r_home"]["lon"])
            assert abs(result["distance_km"] - coarse) <= 0.01 and abs(result["distance_km"] - exact) > 0.1
            shown += 1
    return shown


def test_matrix_covers_every_route_of_the_api(app):
    documented = {(m, p) for p, ops in app.test_client().get("/api/v1/openapi.json").get_json()["paths"].items()
                  for m in ops if m in ("get", "post", "patch", "delete")}
    tested = {(m, p.replace("{p}", "{volunteer_id}").replace("{q}", "{volunteer_id}").replace("{r}", "{volunteer_id}")
               .replace("{a}", "{station_id}").replace("{task}", "{task_id}").replace("424242", "{volunteer_id}")
               .replace("{asg}", "{assignment_id}").replace("{rec}", "{record_id}").replace("{plan}", "{plan_id}")
               .replace("{job}", "{job_id}").replace("{pic}", "{picture_id}").replace("1.1.forged", "{token}")
               .replace("{need}", "{need_id}").replace("{need_ref}", "{reference}").replace("NFORGED22", "{reference}")
               .split("?")[0])
              for m, p, _, _ in ROUTES}
    assert documented <= tested, documented - tested


def test_masking_for_a_coordinator(world, anon, client):
    coordinator = bearer(world["tokens"]["coordinator"])
    member = anon.get(f"/api/v1/volunteers/{world['p']['id']}", environ_base=coordinator).get_json()
    assert member["phone"] == P_PHONE and member["address"] == P_ADDRESS  # a member of the station
    assert member["id_number"] == "1101**********002X"  # never in full, to anyone
    # r is invited by A (r could serve on its task): known to A now, but masked until r accepts.
    invited = anon.post(f"/api/v1/tasks/{world['task']['id']}/assignments", environ_base=coordinator,
                        json={"volunteer_id": world["r"]["id"]})
    assert invited.status_code == 201, invited.get_json()
    assert invited.get_json()["phone"] == "135****5000"
    body = anon.get(f"/api/v1/volunteers/{world['r']['id']}", environ_base=coordinator).get_json()
    assert body["phone"] == "135****5000" and body["address"] is None and body["location"] is None
    assert body["district"] == "渝北区" and body["volunteer_number"].startswith("VM")
    listed = anon.get("/api/v1/volunteers", environ_base=coordinator).get_json()
    assert [p["id"] for p in listed] == [world["p"]["id"]]  # the station's members (and people asking to join)


def test_sign_up_token_is_shown_once_and_stored_hashed(world, app, anon):
    token = world["p"]["token"]
    assert token.startswith("vm_") and len(token) > 40
    again = anon.get(f"/api/v1/volunteers/{world['p']['id']}", environ_base=bearer(token)).get_json()
    assert "token" not in again and again["phone"] == P_PHONE
    with app.app_context():
        hashes = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in hashes and all(len(h) == 64 for h in hashes)
    assert not any(token in h or h in token for h in hashes)


def test_revoked_and_bad_tokens_are_401(world, anon, runner):
    token = world["tokens"]["admin"]
    assert anon.get("/api/v1/volunteers", environ_base=bearer(token)).status_code == 200
    with runner.app.app_context():
        token_id = db.session.scalars(select(ApiToken.id).order_by(ApiToken.id.desc())).first()
    result = runner.invoke(args=["revoke-token", str(token_id)])
    assert result.exit_code == 0, result.output
    assert anon.get("/api/v1/volunteers", environ_base=bearer(token)).status_code == 401
    for header in ("Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "):
        response = anon.get("/api/v1/stations", headers={"Authorization": header})
        assert response.status_code == 401 and response.get_json()["code"] == 401
    assert runner.invoke(args=["revoke-token", "9999"]).exit_code != 0


def test_create_token_command(runner, anon, station):
    result = runner.invoke(args=["create-token", "--role", "coordinator", "--station", str(station["id"]), "--name", "李主任"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    response = anon.post("/api/v1/tasks", environ_base=bearer(token), json={**NEW_TASK, "station_id": station["id"]})
    assert response.status_code == 201
    assert runner.invoke(args=["create-token", "--role", "coordinator"]).exit_code != 0
    assert runner.invoke(args=["create-token", "--role", "coordinator", "--station", "999"]).exit_code != 0
    assert runner.invoke(args=["create-token", "--role", "volunteer"]).exit_code != 0


def test_audit_log_records_reads_and_changes_of_personal_data(world, anon, client, app):
    admin = bearer(world["tokens"]["admin"])
    pid = world["p"]["id"]
    anon.get(f"/api/v1/volunteers/{pid}", environ_base=admin)
    anon.patch(f"/api/v1/volunteers/{pid}", environ_base=bearer(world["tokens"]["self"]), json={"phone": "13600136000"})
    anon.get(f"/api/v1/volunteers/{pid}", environ_base=bearer(world["tokens"]["coordinator"]))  # a member: shown
    anon.get(f"/api/v1/volunteers/{pid}", environ_base=bearer(world["tokens"]["other_coordinator"]))  # 404: no entry
    entries = anon.get(f"/api/v1/audit?volunteer_id={pid}", environ_base=admin).get_json()
    summary = [(e["action"], e["actor"].split("#")[0], e["fields"]) for e in entries]
    assert ("update", "volunteer", ["phone"]) in summary
    assert ("read", "admin", ["address", "location", "phone"]) in summary
    assert ("read", "coordinator", ["address", "location", "phone"]) in summary
    assert ("create", "anonymous", ["address", "id_number", "location", "phone"]) in summary
    with app.app_context():
        other = _token_id(world["tokens"]["other_coordinator"])
    assert other is not None and not any(e["token_id"] == other for e in entries)
    assert all(e["path"].startswith(("/api/v1/volunteers", "/api/v1/tasks/", "/api/v1/assignments/")) for e in entries)
    # The world's invitation and answers showed p's phone on the assignment: audited too.
    assert ("read", "admin", ["phone"]) in summary and ("read", "volunteer", ["phone"]) in summary


def _token_id(token):
    """The id of a token, as the audit log names it."""
    from web.auth.principal import hash_token

    return db.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == hash_token(token)))


def test_security_headers(anon):
    response = anon.get("/api/v1/stations")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in anon.get("/api/v1/stations", headers={"Origin": "https://x.example"}).headers


@pytest.fixture
def limited_app(database_url, _pg_schema):
    """An app with rate limiting switched on and small limits."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
                      "SIGNUP_RATE_LIMIT": "3 per hour", "AUTH_FAILURE_RATE_LIMIT": "4 per minute"})
    with app.app_context():
        if _pg_schema:
            from .conftest import _reset_postgres
            _reset_postgres(app)
        else:
            db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_sign_up_is_rate_limited(limited_app):
    client = limited_app.test_client()
    codes = [client.post("/api/v1/volunteers", json={"name": f"p{i}", "address": "重庆市渝北区"}).status_code
             for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    assert client.post("/api/v1/volunteers", json={}).get_json()["code"] == 429


def test_token_failures_are_rate_limited(limited_app):
    client = limited_app.test_client()
    codes = [client.get("/api/v1/stations", headers={"Authorization": "Bearer wrong"}).status_code for _ in range(6)]
    assert codes[:4] == [401] * 4 and codes[4:] == [429, 429]


def test_logs_never_carry_full_id_numbers(anon, client, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    anon.post("/api/v1/volunteers", json={"name": "赵六", "id_number": ID_NUMBER, "address": "重庆市渝北区"})
    bad = anon.post("/api/v1/volunteers", json={"name": "赵七", "id_number": ID_NUMBER[:-1] + "1", "address": "重庆市渝北区"})
    assert bad.status_code == 422
    assert ID_NUMBER[:-1] + "1" not in bad.get_data(as_text=True)  # the error names the field, not the value
    client.get("/api/v1/volunteers")
    assert ID_NUMBER not in caplog.text and ID_NUMBER[:-1] + "1" not in caplog.text


def test_deleted_persons_token_dies_with_them(anon, client):
    signed = anon.post("/api/v1/volunteers", json={"name": "甲", "phone": "13800138000", "address": "重庆市渝北区"}).get_json()
    token = bearer(signed["token"])
    assert anon.delete(f"/api/v1/volunteers/{signed['id']}", environ_base=token).status_code == 204
    reborn = client.post("/api/v1/volunteers", json={"name": "乙", "phone": "13900139000", "address": "重庆市南岸区"}).get_json()
    response = anon.get(f"/api/v1/volunteers/{reborn['id']}", environ_base=token)
    assert response.status_code == 401
    assert "13900139000" not in response.get_data(as_text=True)


def test_a_failed_request_changes_nothing_and_audits_what_changed(world, anon):
    admin, own = bearer(world["tokens"]["admin"]), bearer(world["tokens"]["self"])
    pid = world["p"]["id"]
    import json

    for junk in ("\udc00", "a\u0000b"):  # a lone surrogate; NUL, which PostgreSQL cannot store
        bad = anon.patch(f"/api/v1/volunteers/{pid}", environ_base=own, content_type="application/json",
                         data=json.dumps({"phone": "13700137000", "skills": [junk]}))
        assert bad.status_code == 422
    assert anon.get(f"/api/v1/volunteers/{pid}", environ_base=own).get_json()["phone"] == P_PHONE
    assert anon.get("/api/v1/volunteers", environ_base=admin).status_code == 200
    assert anon.post("/api/v1/stations", environ_base=admin, content_type="application/json",
                     data=json.dumps({"name": "\ud800", "address": "重庆市渝北区"})).status_code == 422
    anon.patch(f"/api/v1/volunteers/{pid}", environ_base=own, json={"address": "重庆市江北区"})
    updates = anon.get(f"/api/v1/audit?volunteer_id={pid}&action=update", environ_base=admin).get_json()
    assert [e["fields"] for e in updates] == [["address", "location"]]


def test_conflicts_do_not_reveal_who(world, anon):
    response = anon.post("/api/v1/volunteers", json={"name": "丙", "phone": P_PHONE, "address": "重庆市渝北区"})
    assert response.status_code == 409
    assert str(world["p"]["id"]) not in response.get_json()["message"]


def test_sign_up_cannot_claim_core_tier(anon):
    response = anon.post("/api/v1/volunteers", json={"name": "丁", "tier": "core", "address": "重庆市渝北区"})
    assert response.status_code == 403


@pytest.mark.parametrize("query", ["volunteer_id=99999999999999999999", "token_id=-99999999999999999999", "action=peek"])
def test_audit_query_is_validated(client, query):
    assert client.get(f"/api/v1/audit?{query}").status_code == 422


def test_me_says_who_the_token_belongs_to(world, anon):
    me = anon.get("/api/v1/me", environ_base=bearer(world["tokens"]["coordinator"])).get_json()
    assert me["role"] == "coordinator" and me["volunteer_id"] is None
    assert me["stations"] == [{"id": world["a"]["id"], "name": "A", "district": "渝北区"}]
    me = anon.get("/api/v1/me", environ_base=bearer(world["tokens"]["self"])).get_json()
    assert me == {"role": "volunteer", "token_id": me["token_id"], "volunteer_id": world["p"]["id"], "stations": []}
