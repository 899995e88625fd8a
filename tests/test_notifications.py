"""The notification outbox and its delivery: real peers on loopback (an HTTP SMS gateway, an SMTP
server, a WeCom-style group robot), real HTTP requests to the app, a real database.

Deliveries are run by calling the delivery job at chosen times (TestingConfig does not queue a run
on commit), except in the test of that path.
"""
import datetime as dt
import json
import threading
import time

import pytest

from web.extensions import db
from web.models import Delivery, Notification
from web.notify.channels import sign

from .conftest import bearer, post_past_task
from .peers import GATEWAY_KEY

CN = dt.timezone(dt.timedelta(hours=8))
SAT = [{"day": "sat", "start": "08:00", "end": "23:59"}]
WINDOW = ("2099-01-10T09:00", "2099-01-10T12:00")  # a Saturday
BEFORE = dt.datetime(2099, 1, 9, 10, 0, tzinfo=CN)  # the day before, mid-morning: no quiet hours


@pytest.fixture
def person(client, station):
    """A member of the station with a phone, free on Saturdays."""
    return make_person(client, station, "张伟", "13800138000")


def make_person(client, station, name, phone, **extra):
    body = {"name": name, "phone": phone, "location": {"lat": 29.594, "lon": 106.529}, "skills": ["心理疏导"],
            "availability": SAT, "station_id": station["id"], **extra}
    response = client.post("/api/v1/volunteers", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def make_task(client, station, window=WINDOW, title="敬老院探访", **extra):
    body = {"station_id": station["id"], "title": title, "starts_at": window[0], "ends_at": window[1],
            "headcount": 5, "location": {"lat": 29.594, "lon": 106.53}, "address": "重庆市渝北区龙溪街道敬老院", **extra}
    return post_past_task(client, body)  # a past window (service to record): posted ahead, then moved back


def invite(client, task, person, expect=201):
    response = client.post(f"/api/v1/tasks/{task['id']}/assignments", json={"volunteer_id": person["id"]})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def deliver(app, at, **kwargs):
    from web.workers.delivery import deliver_due

    with app.app_context():
        return deliver_due(now=at.astimezone(dt.UTC), **kwargs)


def deliveries(app, channel=None):
    with app.app_context():
        stmt = db.select(Delivery).order_by(Delivery.id)
        if channel:
            stmt = stmt.where(Delivery.channel == channel)
        rows = db.session.scalars(stmt).all()
        return [{"id": d.id, "channel": d.channel, "status": d.status, "attempts": d.attempts, "error": d.error,
                 "next_try_at": d.next_try_at, "kind": d.notification.kind} for d in rows]


# ------------------------------------------------------------------ an invitation reaches the person


def test_an_invitation_reaches_the_person_by_sms_signed_as_the_gateway_expects(app, client, station, person,
                                                                                 gateway, make_token):
    task = make_task(client, station)
    assignment = invite(client, task, person)
    assert gateway.requests == []  # nothing is sent inside the request

    counts = deliver(app, BEFORE)
    assert counts["sent"] == 1
    [request] = gateway.requests
    body = request["json"]
    assert body["phone"] == "13800138000"
    assert body["text"].startswith("【龙溪社工站】")
    assert "敬老院探访" in body["text"] and "1月10日(周六) 09:00-12:00" in body["text"]
    assert "渝北区龙溪街道敬老院" in body["text"]
    assert body["request_id"].startswith("volmatch-")
    headers = request["headers"]
    assert headers["X-Signature"] == sign(GATEWAY_KEY, headers["X-Timestamp"], request["body"])
    assert sign("another key", headers["X-Timestamp"], request["body"]) != headers["X-Signature"]

    # Run again: nothing more goes out.
    assert deliver(app, BEFORE + dt.timedelta(minutes=5))["sent"] == 0
    assert len(gateway.requests) == 1

    states = client.get(f"/api/v1/tasks/{task['id']}/deliveries").get_json()
    assert states == [{"assignment_id": assignment["id"], "volunteer_id": person["id"], "name": "张伟",
                       "status": "invited", "reached": True, "deliveries": [states[0]["deliveries"][0]]}]
    assert states[0]["deliveries"][0]["channel"] == "sms"
    assert states[0]["deliveries"][0]["status"] == "sent"
    assert client.get(f"/api/v1/tasks/{task['id']}/call-list").get_json() == []

    own = make_token("volunteer", volunteer_id=person["id"])
    inbox = client.get(f"/api/v1/volunteers/{person['id']}/notifications", environ_overrides=bearer(own))
    assert inbox.status_code == 200, inbox.get_json()
    [entry] = inbox.get_json()
    assert entry["kind"] == "invitation" and entry["title"] == "服务邀请：敬老院探访"
    assert entry["assignment_id"] == assignment["id"]


def test_messages_follow_the_persons_language(app, client, station, gateway, make_token):
    person = make_person(client, station, "Anna", "13800138001", language="en")
    invite(client, make_task(client, station, title="Reading club"), person)
    deliver(app, BEFORE)
    [body] = gateway.bodies()
    assert "invites you to \"Reading club\" on Sat 10 Jan 09:00-12:00" in body["text"]
    own = make_token("volunteer", volunteer_id=person["id"])
    [entry] = client.get(f"/api/v1/volunteers/{person['id']}/notifications", environ_overrides=bearer(own)).get_json()
    assert entry["title"] == "Invitation: Reading club"


def test_an_invitation_that_rolled_back_sends_nothing(app, client, station, person, gateway):
    task = make_task(client, station)
    # The invitation is written, then the transaction rolls back (as when a later step of it fails).
    from web.models import Task, Volunteer
    from web.services import engagement

    with app.app_context():
        engagement.invite_person(db.session.get(Task, task["id"]), person["id"])
        db.session.flush()
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 1
        db.session.rollback()
        assert db.session.get(Volunteer, person["id"]) is not None
    # A refused invitation (409: the person is inactive) writes nothing either.
    assert client.patch(f"/api/v1/volunteers/{person['id']}", json={"active": False}).status_code == 200
    invite(client, task, person, expect=409)

    assert deliver(app, BEFORE)["sent"] == 0
    assert gateway.requests == []
    assert deliveries(app) == []


def test_two_delivery_workers_racing_send_each_message_once(app, client, station, gateway):
    people = [make_person(client, station, f"志愿者{i}", f"1390000{i:04d}") for i in range(12)]
    task = make_task(client, station)
    for one in people:
        invite(client, task, one)
    gateway.delay = 0.01  # a slow provider: the two workers overlap
    outcomes = []

    def worker():
        outcomes.append(deliver(app, BEFORE))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    keys = [body["request_id"] for body in gateway.bodies()]
    assert len(keys) == 12 and len(set(keys)) == 12
    assert sorted(body["phone"] for body in gateway.bodies()) == sorted(p["phone"] for p in people)
    assert sum(o["sent"] for o in outcomes) == 12
    assert all(d["status"] == "sent" for d in deliveries(app, "sms"))


def test_a_failing_gateway_is_retried_with_backoff_then_parked_with_the_reason(app, client, station, person, gateway):
    app.config.update(NOTIFY_MAX_TRIES=3, NOTIFY_RETRY_SECONDS=30)
    gateway.script = [(503, {"message": "upstream busy"})] * 3
    task = make_task(client, station)
    invite(client, task, person)

    at = BEFORE
    assert deliver(app, at)["retry"] == 1
    [sms] = deliveries(app, "sms")
    assert (sms["status"], sms["attempts"]) == ("queued", 1)
    assert sms["next_try_at"] == (at + dt.timedelta(seconds=30)).astimezone(dt.UTC)
    assert "503" in sms["error"] and "upstream busy" in sms["error"]
    assert deliver(app, at + dt.timedelta(seconds=29))["retry"] == 0  # not yet due
    at += dt.timedelta(seconds=30)
    assert deliver(app, at)["retry"] == 1
    assert deliveries(app, "sms")[0]["next_try_at"] == (at + dt.timedelta(seconds=60)).astimezone(dt.UTC)
    at += dt.timedelta(seconds=60)
    assert deliver(app, at)["failed"] == 1
    [sms] = deliveries(app, "sms")
    assert (sms["status"], sms["attempts"]) == ("failed", 3)
    assert len(gateway.requests) == 3
    assert deliver(app, at + dt.timedelta(hours=2))["sent"] == 0  # parked: never tried again

    # Nothing reached the person: the coordinator's call list names them, with the member's phone.
    coordinator = client.get(f"/api/v1/tasks/{task['id']}/call-list").get_json()
    assert [(row["name"], row["phone"]) for row in coordinator] == [("张伟", "13800138000")]
    assert coordinator[0]["deliveries"][0]["error"].startswith("gateway answered 503")


def test_a_message_that_cannot_be_built_is_parked_not_retried_for_ever(app, client, station, person, gateway):
    invite(client, make_task(client, station), person)
    with app.app_context():
        note = db.session.scalar(db.select(Notification))
        note.kind = "no_such_kind"  # as a message from a newer release read by an older worker would be
        db.session.commit()
    assert deliver(app, BEFORE)["failed"] == 1
    [sms] = deliveries(app, "sms")
    assert sms["status"] == "failed" and sms["error"] == "internal error: KeyError"
    assert deliver(app, BEFORE + dt.timedelta(hours=1))["failed"] == 0 and gateway.requests == []


def test_a_gateway_that_answers_garbage_is_a_temporary_failure(app, client, station, person):
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    app.config.update(SMS_GATEWAY_URL=f"http://127.0.0.1:{server.getsockname()[1]}/sms", SMS_GATEWAY_KEY="k")

    def answer_garbage():
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"NOT HTTP AT ALL\r\n\r\n")

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    try:
        invite(client, make_task(client, station), person)
        assert deliver(app, BEFORE)["retry"] == 1
    finally:
        thread.join(10)
        server.close()
    [sms] = deliveries(app, "sms")
    assert sms["status"] == "queued" and sms["error"].startswith("unreachable")


def test_a_throttled_gateway_is_tried_again_and_a_refused_number_is_not(app, client, station, gateway):
    first = make_person(client, station, "甲", "13800138010")
    second = make_person(client, station, "乙", "13800138011")
    task = make_task(client, station)
    invite(client, task, first)
    invite(client, task, second)
    gateway.script = [(429, {"message": "slow down"}), (400, {"message": "invalid number"})]
    counts = deliver(app, BEFORE)
    assert (counts["retry"], counts["failed"]) == (1, 1)
    by_phone = {r["json"]["phone"]: r for r in gateway.requests}
    assert set(by_phone) == {"13800138010", "13800138011"}
    states = {d["status"] for d in deliveries(app, "sms")}
    assert states == {"queued", "failed"}
    assert deliver(app, BEFORE + dt.timedelta(seconds=31))["sent"] == 1
    assert len(gateway.requests) == 3


def test_no_sms_in_quiet_hours_unless_the_service_is_close(app, client, station, person, gateway):
    late = dt.datetime(2099, 1, 9, 23, 0, tzinfo=CN)
    invite(client, make_task(client, station), person)
    assert deliver(app, late)["later"] == 1
    [sms] = deliveries(app, "sms")
    assert sms["status"] == "queued" and sms["error"] == "quiet hours" and sms["attempts"] == 0
    assert sms["next_try_at"] == dt.datetime(2099, 1, 10, 8, 0, tzinfo=CN).astimezone(dt.UTC)
    assert gateway.requests == []
    assert deliver(app, dt.datetime(2099, 1, 10, 7, 59, tzinfo=CN))["sent"] == 0
    assert deliver(app, dt.datetime(2099, 1, 10, 8, 0, tzinfo=CN))["sent"] == 1

    # A service starting within two hours is told at once, even at night.
    soon = make_task(client, station, ("2099-01-10T23:30", "2099-01-11T01:00"), title="夜间巡查")
    invite(client, soon, person)
    assert deliver(app, dt.datetime(2099, 1, 10, 22, 15, tzinfo=CN))["sent"] == 1
    assert "夜间巡查" in gateway.bodies()[-1]["text"]


def test_a_persons_own_quiet_hours_win(app, client, station, person, gateway, make_token):
    own = make_token("volunteer", volunteer_id=person["id"])
    bad = client.patch(f"/api/v1/volunteers/{person['id']}", json={"quiet_hours": "25-8"}, environ_overrides=bearer(own))
    assert bad.status_code == 422 and "quiet_hours" in bad.get_json()["errors"]
    assert client.patch(f"/api/v1/volunteers/{person['id']}", json={"quiet_hours": "20-9"},
                        environ_overrides=bearer(own)).status_code == 200
    invite(client, make_task(client, station, ("2099-01-10T14:00", "2099-01-10T17:00")), person)
    assert deliver(app, dt.datetime(2099, 1, 9, 21, 0, tzinfo=CN))["later"] == 1  # the deployment would send at 21:00
    assert deliver(app, dt.datetime(2099, 1, 10, 8, 30, tzinfo=CN))["sent"] == 0  # theirs end at 09:00
    assert deliver(app, dt.datetime(2099, 1, 10, 9, 0, tzinfo=CN))["sent"] == 1
    assert len(gateway.requests) == 1


def test_an_invitation_not_sent_before_its_task_started_is_not_sent_at_all(app, client, station, person, gateway):
    invite(client, make_task(client, station), person)
    assert deliver(app, dt.datetime(2099, 1, 10, 9, 30, tzinfo=CN))["skipped"] == 1
    [sms] = deliveries(app, "sms")
    assert sms["status"] == "skipped" and sms["error"] == "the task has started"
    assert gateway.requests == []


def test_a_daily_cap_holds_further_sms_until_the_next_morning(app, client, station, person, gateway):
    app.config["NOTIFY_SMS_PER_DAY"] = 2
    for i in range(3):
        invite(client, make_task(client, station, title=f"活动{i}"), person)
    counts = deliver(app, BEFORE)
    assert (counts["sent"], counts["later"]) == (2, 1)
    held = [d for d in deliveries(app, "sms") if d["status"] == "queued"]
    assert held[0]["error"] == "daily cap of 2 SMS reached"
    assert held[0]["next_try_at"] == dt.datetime(2099, 1, 10, 8, 0, tzinfo=CN).astimezone(dt.UTC)
    assert deliver(app, dt.datetime(2099, 1, 10, 8, 0, tzinfo=CN))["sent"] == 1
    assert len(gateway.requests) == 3


def test_a_person_who_switched_sms_off_gets_email_only(app, client, station, gateway, smtp, make_token):
    person = make_person(client, station, "李娜", "13800138002", email="lina@example.org")
    own = make_token("volunteer", volunteer_id=person["id"])
    response = client.patch(f"/api/v1/volunteers/{person['id']}", json={"channels_off": ["sms"]},
                            environ_overrides=bearer(own))
    assert response.status_code == 200, response.get_json()
    invite(client, make_task(client, station), person)
    counts = deliver(app, BEFORE)
    assert (counts["sent"], counts["skipped"]) == (1, 1)
    assert gateway.requests == []
    [(to, mail)] = smtp.messages
    assert to == ["lina@example.org"]
    assert "Message-ID: <volmatch-" in mail
    [sms] = deliveries(app, "sms")
    assert sms["status"] == "skipped" and sms["error"] == "the person switched sms off"

    bad = client.patch(f"/api/v1/volunteers/{person['id']}", json={"channels_off": ["pigeon"]},
                       environ_overrides=bearer(own))
    assert bad.status_code == 422 and "channels_off" in bad.get_json()["errors"]


def test_email_reaches_an_smtp_server_in_the_persons_language(app, client, station, smtp):
    from email import message_from_string
    from email.header import decode_header, make_header

    person = make_person(client, station, "王芳", "13800138003", email="wangfang@example.org")
    invite(client, make_task(client, station), person)
    assert deliver(app, BEFORE)["sent"] == 2  # SMS to the log (no gateway configured) and the e-mail
    [(to, raw)] = smtp.messages
    mail = message_from_string(raw)
    assert str(make_header(decode_header(mail["Subject"]))) == "服务邀请：敬老院探访"
    assert "龙溪街道社工站邀请您参加" in mail.get_payload(decode=True).decode()


def test_an_unreachable_smtp_server_is_a_temporary_failure(app, client, station):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, NOTIFY_TIMEOUT=2)  # nothing listens on port 1
    person = make_person(client, station, "赵六", "13800138004", email="zhao@example.org")
    invite(client, make_task(client, station), person)
    deliver(app, BEFORE)
    [mail] = deliveries(app, "email")
    assert mail["status"] == "queued" and mail["attempts"] == 1 and mail["error"].startswith("unreachable")


def test_a_cancelled_task_is_told_to_the_people_on_it_and_broadcast_to_the_group(app, client, station, person,
                                                                                gateway, robot):
    response = client.patch(f"/api/v1/stations/{station['id']}", json={"group_webhook": robot.url + "hook?key=1"})
    assert response.status_code == 200, response.get_json()
    assert "group_webhook" not in response.get_json() and response.get_json()["has_group_webhook"] is True
    task = make_task(client, station)
    invite(client, task, person)
    deliver(app, BEFORE)
    assert client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "cancelled"}).status_code == 200
    robot.script = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"})]
    counts = deliver(app, BEFORE + dt.timedelta(minutes=1))
    assert (counts["sent"], counts["retry"]) == (1, 1)
    assert "已取消" in gateway.bodies()[-1]["text"]
    deliver(app, BEFORE + dt.timedelta(minutes=2))
    assert [r["json"]["msgtype"] for r in robot.requests] == ["text", "text"]
    content = robot.requests[-1]["json"]["text"]["content"]
    assert content == "【取消】原定1月10日(周六) 09:00-12:00的“敬老院探访”已取消。"
    assert "张伟" not in content and "13800138000" not in content


def test_a_group_webhook_must_be_a_known_robot_host(client, station):
    for url in ("http://127.0.0.1:6379/", "http://169.254.169.254/latest", "https://example.org/hook"):
        response = client.patch(f"/api/v1/stations/{station['id']}", json={"group_webhook": url})
        assert response.status_code == 422, url
        assert "group_webhook" in response.get_json()["errors"]
    ok = client.patch(f"/api/v1/stations/{station['id']}",
                      json={"group_webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"})
    assert ok.status_code == 200
    assert "webhook" not in json.dumps(client.get(f"/api/v1/stations/{station['id']}").get_json()).replace(
        "has_group_webhook", "")


def test_reminders_go_out_before_an_accepted_service_and_not_after_a_withdrawal(app, client, station, person,
                                                                                gateway, make_token):
    task = make_task(client, station)
    assignment = invite(client, task, person)
    own = make_token("volunteer", volunteer_id=person["id"])
    response = client.patch(f"/api/v1/assignments/{assignment['id']}", json={"status": "accepted"},
                            environ_overrides=bearer(own))
    assert response.status_code == 200, response.get_json()
    deliver(app, BEFORE - dt.timedelta(days=1))  # the invitation was answered: its SMS is skipped
    assert gateway.requests == []
    starts = dt.datetime(2099, 1, 10, 9, 0, tzinfo=CN)
    reminders = [d for d in deliveries(app, "sms") if d["kind"] == "reminder"]
    assert sorted(d["next_try_at"] for d in reminders) == [(starts - dt.timedelta(hours=h)).astimezone(dt.UTC)
                                                           for h in (24, 2)]
    # The place changes meanwhile (allowed with people accepted): the reminder tells the new one.
    moved = client.patch(f"/api/v1/tasks/{task['id']}", json={"address": "重庆市渝北区龙溪街道社区活动中心",
                                                               "location": {"lat": 29.595, "lon": 106.531}})
    assert moved.status_code == 200, moved.get_json()
    assert deliver(app, starts - dt.timedelta(hours=24))["sent"] == 2  # the change, then the reminder
    assert "有变更" in gateway.bodies()[-2]["text"] and "提醒" in gateway.bodies()[-1]["text"]
    assert "社区活动中心" in gateway.bodies()[-1]["text"]

    # The station withdraws the person: the 2-hour reminder is not sent, the withdrawal is.
    response = client.patch(f"/api/v1/assignments/{assignment['id']}", json={"status": "cancelled"})
    assert response.status_code == 200, response.get_json()
    counts = deliver(app, starts - dt.timedelta(hours=2))
    assert counts["sent"] == 1 and counts["skipped"] == 1
    assert "撤回" in gateway.bodies()[-1]["text"]


def test_verified_hours_are_told(app, client, station, person, gateway):
    task = make_task(client, station, ("2026-01-10T09:00", "2026-01-10T12:00"))
    assignment = invite(client, task, person)
    assert client.patch(f"/api/v1/assignments/{assignment['id']}", json={"status": "accepted"}).status_code == 200
    response = client.patch(f"/api/v1/assignments/{assignment['id']}", json={"status": "completed", "hours": 3})
    assert response.status_code == 200, response.get_json()
    deliver(app, dt.datetime(2099, 1, 1, 10, 0, tzinfo=CN))  # told now: sent in the next daytime run
    assert [body["text"] for body in gateway.bodies()] == [
        "【龙溪社工站】龙溪街道社工站已确认您在“敬老院探访”（1月10日(周六) 09:00-12:00）的服务时长：3小时。"
        "感谢您的付出！ 回复TD退订"]


def test_a_commit_with_outbox_rows_queues_a_delivery_run(app, client, station, person, gateway):
    app.config.update(NOTIFY_ON_COMMIT=True, NOTIFY_QUIET_HOURS="0-0")  # sent whatever the hour the test runs at
    invite(client, make_task(client, station), person)
    deadline = time.monotonic() + 20
    while not gateway.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [body["phone"] for body in gateway.bodies()] == ["13800138000"]


def test_messages_are_the_persons_own(app, client, station, person, make_token):
    invite(client, make_task(client, station), person)
    other = make_person(client, station, "路人", "13800138009")
    stranger = make_token("volunteer", volunteer_id=other["id"])
    coordinator = make_token("coordinator", station_ids=[station["id"]])
    elsewhere = make_token("coordinator", station_ids=[])
    url = f"/api/v1/volunteers/{person['id']}/notifications"
    assert client.get(url, environ_overrides=bearer(stranger)).status_code == 404
    assert client.get(url, environ_overrides=bearer(coordinator)).status_code == 403
    assert client.get(url).status_code == 200  # admins
    tasks = client.get("/api/v1/tasks").get_json()
    deliveries_url = f"/api/v1/tasks/{tasks[0]['id']}/deliveries"
    assert client.get(deliveries_url, environ_overrides=bearer(coordinator)).status_code == 200
    assert client.get(deliveries_url, environ_overrides=bearer(elsewhere)).status_code in (403, 404)
    assert client.get(deliveries_url, environ_overrides=bearer(stranger)).status_code in (403, 404)


def test_email_is_contact_data_a_stranger_coordinator_does_not_see(client, station, make_token):
    person = make_person(client, station, "钱七", "13800138005", email="qian@example.org")
    other_station = client.post("/api/v1/stations", json={"name": "别的站", "location": {"lat": 29.6, "lon": 106.5}})
    outsider = make_token("coordinator", station_ids=[other_station.get_json()["id"]])
    member_view = make_token("coordinator", station_ids=[station["id"]])
    assert client.get(f"/api/v1/volunteers/{person['id']}",
                      environ_overrides=bearer(member_view)).get_json()["email"] == "qian@example.org"
    seen = client.get(f"/api/v1/volunteers/{person['id']}", environ_overrides=bearer(outsider))
    assert seen.status_code == 404 or seen.get_json()["email"] is None


def reply(anon, body, key=GATEWAY_KEY, at=None):
    raw = json.dumps(body, ensure_ascii=False).encode()
    stamp = str(int(at if at is not None else time.time()))
    return anon.post("/api/v1/notifications/sms-replies", data=raw, content_type="application/json",
                     headers={"X-Timestamp": stamp, "X-Signature": sign(key, stamp, raw)})


def test_a_stop_reply_switches_sms_off_and_only_the_gateway_may_say_so(app, anon, client, station, person, gateway):
    invite(client, make_task(client, station), person)
    deliver(app, BEFORE)
    assert gateway.bodies()[0]["text"].endswith("回复TD退订")

    # Forged (another key), replayed (signed 10 minutes ago) or unsigned: refused, nothing changes.
    assert reply(anon, {"phone": "13800138000", "text": "TD"}, key="guess").status_code == 401
    assert reply(anon, {"phone": "13800138000", "text": "TD"}, at=time.time() - 600).status_code == 401
    unsigned = anon.post("/api/v1/notifications/sms-replies", json={"phone": "13800138000", "text": "TD"})
    assert unsigned.status_code == 401
    assert client.get(f"/api/v1/volunteers/{person['id']}").get_json()["channels_off"] == []

    answer = reply(anon, {"phone": "13800138000", "text": "好的，我会去"})
    assert answer.status_code == 200 and answer.get_json() == {"opted_out": False}
    answer = reply(anon, {"phone": "+86 138 0013 8000", "text": " td "})
    assert answer.status_code == 200 and answer.get_json() == {"opted_out": True}
    assert client.get(f"/api/v1/volunteers/{person['id']}").get_json()["channels_off"] == ["sms"]

    invite(client, make_task(client, station, title="第二次活动"), person)
    assert deliver(app, BEFORE)["skipped"] == 1
    assert len(gateway.requests) == 1
    bad = reply(anon, {"phone": "13800138000"})
    assert bad.status_code == 422 and "text" in bad.get_json()["errors"]
