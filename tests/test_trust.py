"""The trust holes of issue #12, each attempted as an attacker with a real account would, then the rule.

Coarse locations and trilateration: test_location_privacy.py; look-alike digits:
test_personal_digits.py; CSV formula injection: test_csv_injection.py.
"""
import io
import time

import pytest

from .conftest import bearer, post_past_task

SAT = [{"day": "sat", "start": "08:00", "end": "18:00"}]
STATION = {"lat": 29.5935, "lon": 106.5289}  # the `station` fixture's place (龙溪, 渝北区)
WANZHOU = {"lat": 30.8078, "lon": 108.4089}  # about 230 km away
ID_NUMBER = "11010519491231002X"


def sign_up(anon, **extra):
    """Public sign-up near the station; the answer (with the person's own token)."""
    body = {"name": "赵敏", "phone": "13912345678", "location": {"lat": 29.60, "lon": 106.53}, "availability": SAT,
            **extra}
    response = anon.post("/api/v1/volunteers", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def write_csv(tmp_path, rows, name="roster.csv"):
    path = tmp_path / name
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    return path


# --- 1. a pre-claimed import key never hands over a stranger's record ------------------------------

def test_a_volunteer_cannot_claim_an_external_id(anon):
    me = sign_up(anon)
    response = anon.patch(f"/api/v1/volunteers/{me['id']}", json={"external_id": "CQ-0001"},
                          environ_base=bearer(me["token"]))
    assert response.status_code == 403
    assert "external_id" in response.get_json()["errors"]


@pytest.mark.parametrize("key", ["phone", "id_number"])
def test_an_import_never_merges_into_a_self_registered_record(anon, client, runner, tmp_path, key):
    """The attacker typed the roster's phone (or ID number) at sign-up, then waits for the station's import."""
    me = sign_up(anon, **({"id_number": ID_NUMBER} if key == "id_number" else {}))
    cell = "13912345678" if key == "phone" else ID_NUMBER
    header = "手机号" if key == "phone" else "身份证号"
    roster = write_csv(tmp_path, [["姓名", header, "地址", "志愿者编号"], ["王大明", cell, "重庆市江北区观音桥", "CQ-0001"]])
    report = tmp_path / "report.csv"
    result = runner.invoke(args=["import-volunteers", str(roster), "--report", str(report)])
    assert result.exit_code == 1, result.output  # the row is rejected, for staff to resolve
    assert "possible duplicate" in report.read_text("utf-8-sig") and me["volunteer_number"] in report.read_text("utf-8-sig")
    mine = anon.get(f"/api/v1/volunteers/{me['id']}", environ_base=bearer(me["token"])).get_json()
    assert mine["name"] == "赵敏" and mine["external_id"] is None and mine["address"] is None
    assert mine["location"] == {"lat": 29.60, "lon": 106.53}
    # Once staff vouch for the person's identity, the same import updates them.
    assert client.patch(f"/api/v1/volunteers/{me['id']}", json={"identity_verified": True}).status_code == 200
    assert runner.invoke(args=["import-volunteers", str(roster)]).exit_code == 0
    assert client.get(f"/api/v1/volunteers/{me['id']}").get_json()["external_id"] == "CQ-0001"


def test_a_volunteer_changing_their_phone_loses_the_vouching(anon, client):
    person = client.post("/api/v1/volunteers", json={"name": "钱七", "phone": "13700137000", "address": "重庆市渝北区"})
    person = person.get_json()
    assert person["identity_verified"] is True  # registered by staff
    # The person (with a token of their own, made here) types a new phone: nobody has checked it.
    from web.auth.principal import issue_token
    from web.extensions import db

    with client.application.app_context():
        own = issue_token("volunteer", volunteer_id=person["id"])[1]
        db.session.commit()
    changed = anon.patch(f"/api/v1/volunteers/{person['id']}", json={"phone": "13700137001"}, environ_base=bearer(own))
    assert changed.status_code == 200 and changed.get_json()["identity_verified"] is False
    refused = anon.patch(f"/api/v1/volunteers/{person['id']}", json={"identity_verified": True}, environ_base=bearer(own))
    assert refused.status_code == 403 and "identity_verified" in refused.get_json()["errors"]


# --- 2. a coordinator cannot reach a stranger's phone or home point ------------------------------

def test_match_bodies_and_tasks_far_outside_the_station_are_refused(anon, client, station, make_token):
    coordinator = bearer(make_token("coordinator", station_ids=[station["id"]]))
    window = {"starts_at": "2099-01-10T09:00", "ends_at": "2099-01-10T12:00"}
    response = anon.post("/api/v1/matches", json={"location": WANZHOU, **window}, environ_base=coordinator)
    assert response.status_code == 422
    assert "outside its 30 km service area" in response.get_json()["errors"]["location"][0]
    response = anon.post("/api/v1/matches", json={"address": "重庆市万州区", **window}, environ_base=coordinator)
    assert response.status_code == 422 and "address" in response.get_json()["errors"]
    response = anon.post("/api/v1/tasks", environ_base=coordinator,
                         json={"station_id": station["id"], "title": "远方", "location": WANZHOU, **window})
    assert response.status_code == 422 and "service area" in response.get_json()["errors"]["location"][0]
    inside = anon.post("/api/v1/matches", json={"location": {"lat": 29.62, "lon": 106.55}, **window},
                       environ_base=coordinator)
    assert inside.status_code == 200
    # An admin may widen a station's area; its coordinator may not.
    widen = {"service_area_km": 300}
    assert anon.patch(f"/api/v1/stations/{station['id']}", json=widen, environ_base=coordinator).status_code == 403
    assert client.patch(f"/api/v1/stations/{station['id']}", json=widen).get_json()["service_area_km"] == 300
    assert anon.post("/api/v1/matches", json={"location": WANZHOU, **window}, environ_base=coordinator).status_code == 200


def test_moving_a_task_out_of_the_area_is_refused(client, station):
    task = client.post("/api/v1/tasks", json={"station_id": station["id"], "title": "探访", "starts_at": "2099-01-10T09:00",
                                              "ends_at": "2099-01-10T12:00"}).get_json()
    response = client.patch(f"/api/v1/tasks/{task['id']}", json={"location": WANZHOU})
    assert response.status_code == 422 and "service area" in response.get_json()["errors"]["location"][0]
    assert client.get(f"/api/v1/tasks/{task['id']}").get_json()["location"] == STATION


# --- 3. every match and plan call is audited ------------------------------------------------------

def test_match_and_plan_calls_are_in_the_audit_log(anon, client, station, make_token):
    sign_up(anon)
    coordinator = bearer(make_token("coordinator", station_ids=[station["id"]]))
    task = client.post("/api/v1/tasks", json={"station_id": station["id"], "title": "探访", "starts_at": "2099-01-10T09:00",
                                              "ends_at": "2099-01-10T12:00"}).get_json()
    found = anon.get(f"/api/v1/tasks/{task['id']}/matches", environ_base=coordinator).get_json()["results"]
    anon.post("/api/v1/matches", environ_base=coordinator, json={"station_id": station["id"], "skills": ["心理疏导"],
                                                                 "starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T12:00"})
    plan = anon.post(f"/api/v1/stations/{station['id']}/plans", json={"task_ids": [task["id"]]}, environ_base=coordinator)
    assert plan.status_code == 201
    matches = client.get("/api/v1/audit?action=match").get_json()
    assert [e["detail"].get("task_id") for e in reversed(matches)] == [task["id"], None]
    assert all(e["actor"].startswith("coordinator#") and e["volunteer_id"] is None for e in matches)
    assert matches[-1]["detail"]["results"] == len(found) == 1
    assert matches[0]["detail"]["body"]["skills"] == ["心理疏导"]
    plans = client.get("/api/v1/audit?action=plan").get_json()
    assert plans[0]["detail"] == {"plan_id": plan.get_json()["id"], "station_id": station["id"], "task_ids": [task["id"]],
                                  "results": 1}


# --- 4. volunteers cannot set what staff set; pending hours count for nothing ---------------------

@pytest.mark.parametrize("field, value", [("role", "social_worker"), ("tier", "core"), ("external_id", "CQ-9"),
                                          ("district", "渝中区"), ("station_id", "STATION")])
def test_a_volunteer_cannot_set_staff_fields(anon, station, field, value):
    value = station["id"] if value == "STATION" else value
    refused = anon.post("/api/v1/volunteers", json={"name": "孙八", "address": "重庆市渝北区", field: value})
    assert refused.status_code == 403 and field in refused.get_json()["errors"]
    me = sign_up(anon)
    refused = anon.patch(f"/api/v1/volunteers/{me['id']}", json={field: value}, environ_base=bearer(me["token"]))
    assert refused.status_code == 403 and list(refused.get_json()["errors"]) == [field]
    echoed = anon.patch(f"/api/v1/volunteers/{me['id']}", json={field: me[field], "skills": ["急救"]},
                        environ_base=bearer(me["token"]))  # sending back what is stored is fine
    assert echoed.status_code == 200 and echoed.get_json()["skills"] == ["急救"]


def test_a_volunteer_asks_to_join_and_staff_decide(anon, station, make_token):
    coordinator = bearer(make_token("coordinator", station_ids=[station["id"]]))
    me = sign_up(anon, requested_station_id=station["id"])
    assert me["station_id"] is None and me["requested_station_id"] == station["id"]
    asking = anon.get(f"/api/v1/volunteers?requested_station_id={station['id']}", environ_base=coordinator).get_json()
    assert [p["id"] for p in asking] == [me["id"]] and asking[0]["phone"] == "139****5678"  # not a member yet
    # Answering the request is all a coordinator may do to someone who only asked.
    assert anon.patch(f"/api/v1/volunteers/{me['id']}", json={"skills": ["手语"]},
                      environ_base=coordinator).status_code == 403
    joined = anon.patch(f"/api/v1/volunteers/{me['id']}", json={"station_id": station["id"]}, environ_base=coordinator)
    assert joined.status_code == 200
    assert joined.get_json()["station_id"] == station["id"] and joined.get_json()["requested_station_id"] is None
    assert joined.get_json()["phone"] == "13912345678"  # a member of the station by staff decision


def test_self_reported_hours_count_only_once_confirmed(anon, client, station):
    me = sign_up(anon)
    past = post_past_task(client, {"station_id": station["id"], "title": "助老", "starts_at": "2026-01-10T09:00",
                                   "ends_at": "2026-01-10T12:00"})
    asg = client.post(f"/api/v1/tasks/{past['id']}/assignments", json={"volunteer_id": me["id"]}).get_json()
    client.patch(f"/api/v1/assignments/{asg['id']}", json={"status": "accepted"})
    done = anon.patch(f"/api/v1/assignments/{asg['id']}", json={"status": "completed", "hours": 3},
                      environ_base=bearer(me["token"])).get_json()
    # Fixed dates (how recent the service was is measured at the task's start): posted ahead if passed, then moved back.
    upcoming = post_past_task(client, {"station_id": station["id"], "title": "探访",
                                       "starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T12:00"})

    def engagement_of_me():
        results = client.get(f"/api/v1/tasks/{upcoming['id']}/matches").get_json()["results"]
        mine = next(r for r in results if r["volunteer_id"] == me["id"])
        return mine["components"]["reliability"], mine["components"]["fairness"], mine["reasons"]

    reliability, fairness, reasons = engagement_of_me()  # the pending 3 h count for nothing yet
    assert (reliability, fairness) == (0.5, 1.0) and "新志愿者，尚无服务记录" in reasons
    history = client.get(f"/api/v1/volunteers/{me['id']}/service-records").get_json()
    assert history["total_hours"] == 0 and history["totals"]["pending"] == 3
    assert client.patch(f"/api/v1/service-records/{done['record']['id']}", json={"status": "confirmed"}).status_code == 200
    reliability, fairness, reasons = engagement_of_me()
    assert reliability == round(2 / 3, 4) and fairness < 1.0 and "已完成 1/1 次服务" in reasons
    assert client.get(f"/api/v1/volunteers/{me['id']}/service-records").get_json()["total_hours"] == 3


# --- 7. one rule for who may change a person: the API and imports alike ---------------------------

def test_coordinators_change_their_stations_people_through_the_api_and_imports_alike(
        anon, client, runner, station, make_token, tmp_path):
    other = client.post("/api/v1/stations", json={"name": "南岸站", "location": {"lat": 29.52, "lon": 106.56}}).get_json()
    token = make_token("coordinator", station_ids=[station["id"]])
    coordinator = bearer(token)
    member = client.post("/api/v1/volunteers", json={"name": "周一", "phone": "13600136001", "address": "重庆市渝北区",
                                                     "station_id": station["id"]}).get_json()
    outsider = client.post("/api/v1/volunteers", json={"name": "吴二", "phone": "13600136002", "address": "重庆市南岸区",
                                                       "station_id": other["id"]}).get_json()
    # The API: a member may be corrected; someone of another station may not (they are not even visible).
    assert anon.patch(f"/api/v1/volunteers/{member['id']}", json={"name": "周一一"}, environ_base=coordinator).status_code == 200
    assert anon.patch(f"/api/v1/volunteers/{outsider['id']}", json={"name": "x"}, environ_base=coordinator).status_code == 404
    # An upload by the same coordinator: the same answers.
    roster = write_csv(tmp_path, [["姓名", "手机号", "地址"], ["周一二", "13600136001", "重庆市渝北区"],
                                  ["吴二二", "13600136002", "重庆市南岸区"]])
    response = anon.post("/api/v1/imports", environ_base=coordinator, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(roster.read_bytes()), "roster.csv"), "station_id": str(station["id"])})
    job = response.get_json()
    for _ in range(200):
        job = anon.get(f"/api/v1/imports/{job['id']}", environ_base=coordinator).get_json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert (job["status"], job["updated"], job["rejected"]) == ("done", 1, 1), job
    report = anon.get(f"/api/v1/imports/{job['id']}/report.csv", environ_base=coordinator).get_data(as_text=True)
    assert "registered with a station this import may not change" in report
    assert client.get(f"/api/v1/volunteers/{member['id']}").get_json()["name"] == "周一二"
    assert client.get(f"/api/v1/volunteers/{outsider['id']}").get_json()["name"] == "吴二"


def test_a_coordinator_cannot_move_a_member_to_another_station(anon, client, station, make_token):
    other = client.post("/api/v1/stations", json={"name": "南岸站", "location": {"lat": 29.52, "lon": 106.56}}).get_json()
    member = client.post("/api/v1/volunteers", json={"name": "郑三", "address": "重庆市渝北区",
                                                     "station_id": station["id"]}).get_json()
    coordinator = bearer(make_token("coordinator", station_ids=[station["id"]]))
    moved = anon.patch(f"/api/v1/volunteers/{member['id']}", json={"station_id": other["id"]}, environ_base=coordinator)
    assert moved.status_code == 403 and "station_id" in moved.get_json()["errors"]
    assert client.get(f"/api/v1/volunteers/{member['id']}").get_json()["station_id"] == station["id"]


def test_a_queued_import_does_not_run_with_a_revoked_token(app, runner, make_token, tmp_path):
    """The job runs as the token that started it: revoked meanwhile, the job fails and writes nobody."""
    from sqlalchemy import func, select

    from web.extensions import db
    from web.models import ImportFile, ImportJob, Volunteer
    from web.workers import import_jobs

    token = make_token("admin")
    with app.app_context():
        from web.auth.principal import principal_for_token

        actor = principal_for_token(token)
        job = ImportJob(filename="名单.csv", token_id=actor.token_id, status="queued")
        db.session.add(job)
        db.session.flush()
        db.session.add(ImportFile(job_id=job.id, kind="upload", data="姓名,地址\n王五,重庆市渝北区\n".encode()))
        db.session.commit()
        job_id = job.id
    assert runner.invoke(args=["revoke-token", str(actor.token_id)]).exit_code == 0
    with app.app_context():
        import_jobs.run(job_id)
        job = db.session.get(ImportJob, job_id)
        assert (job.status, job.message) == ("failed", "the token that started this import was revoked")
        assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 0
        assert db.session.get(ImportFile, (job_id, "upload")) is None
