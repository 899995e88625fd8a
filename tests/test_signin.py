"""Sign-in and sign-up by one-time SMS code, and one-tap invitation links: real HTTP to the app, the
codes and links read from the SMS gateway on loopback, a real database."""
import datetime as dt
import re

import pytest

from web.extensions import db
from web.models import Notification, SignInCode, Volunteer

from .conftest import bearer
from .test_notifications import BEFORE, deliver, invite, make_person, make_task

CODES = "/api/v1/sign-in/codes"
SESSIONS = "/api/v1/sign-in/sessions"


def code_for(app, gateway, phone):
    """Deliver what is due and read the newest code the gateway sent to this phone."""
    deliver(app, dt.datetime.now(dt.UTC))
    texts = [b["text"] for b in gateway.bodies() if b["phone"] == phone]
    assert texts, f"no SMS to {phone}"
    return re.search(r"验证码是(\d{6})|code is (\d{6})", texts[-1]).group(0)[-6:]


def test_asking_for_a_code_tells_an_outsider_nothing(app, anon, client, station, gateway):
    make_person(client, station, "张伟", "13800138000")
    known = anon.post(CODES, json={"phone": "13800138000"})
    unknown = anon.post(CODES, json={"phone": "13900139000"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json() == {"sent": True, "expires_in": 300}
    assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())
    deliver(app, dt.datetime.now(dt.UTC))
    assert sorted(b["phone"] for b in gateway.bodies()) == ["13800138000", "13900139000"]
    bad = anon.post(CODES, json={"phone": "12345"})
    assert bad.status_code == 422 and "phone" in bad.get_json()["errors"]


def test_a_registered_person_signs_in_with_the_code_once(app, anon, client, station, gateway):
    person = make_person(client, station, "张伟", "13800138000")
    assert anon.post(CODES, json={"phone": "138 0013 8000"}).status_code == 202
    code = code_for(app, gateway, "13800138000")
    answer = anon.post(SESSIONS, json={"phone": "13800138000", "code": code})
    assert answer.status_code == 200, answer.get_json()
    session = answer.get_json()
    assert session["registered"] is True and session["volunteer_id"] == person["id"]
    me = anon.get("/api/v1/me", environ_overrides=bearer(session["token"]))
    assert me.status_code == 200 and me.get_json()["volunteer_id"] == person["id"]
    with app.app_context():
        assert db.session.get(Volunteer, person["id"]).phone_verified_at is not None
        # The outbox keeps no code once it is sent; the person's inbox never lists codes.
        note = db.session.scalar(db.select(Notification).where(Notification.kind == "sign_in_code"))
        assert "code" not in note.params
        assert code not in str(db.session.scalars(db.select(SignInCode.code_hash)).all())
    inbox = anon.get(f"/api/v1/volunteers/{person['id']}/notifications", environ_overrides=bearer(session["token"]))
    assert inbox.get_json() == []

    again = anon.post(SESSIONS, json={"phone": "13800138000", "code": code})
    assert again.status_code == 401 and "code" in again.get_json()["errors"]

    # Signing out ends the session on this device.
    assert anon.delete(SESSIONS, environ_overrides=bearer(session["token"])).status_code == 204
    assert anon.get("/api/v1/me", environ_overrides=bearer(session["token"])).status_code == 401


def test_five_wrong_tries_use_a_code_up(app, anon, client, station, gateway):
    make_person(client, station, "张伟", "13800138000")
    anon.post(CODES, json={"phone": "13800138000"})
    code = code_for(app, gateway, "13800138000")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    hints = []
    for _ in range(5):
        answer = anon.post(SESSIONS, json={"phone": "13800138000", "code": wrong})
        assert answer.status_code == 401
        hints.append(answer.get_json()["errors"]["code"][0])
    assert hints[0] == "wrong code: 4 tries left" and hints[-1] == "wrong code: ask for a new one"
    right = anon.post(SESSIONS, json={"phone": "13800138000", "code": code})
    assert right.status_code == 401 and right.get_json()["errors"]["code"] == ["expired or used up"]


def test_a_code_expires_after_five_minutes_and_a_new_one_replaces_it(app, anon, client, station, gateway):
    from web.services import signin

    make_person(client, station, "张伟", "13800138000")
    anon.post(CODES, json={"phone": "13800138000"})
    first = code_for(app, gateway, "13800138000")
    with app.app_context():
        late = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5, seconds=1)
        with pytest.raises(Exception, match="no valid code"):
            signin.sign_in("13800138000", first, app.config["SECRET_KEY"], now=late)
    anon.post(CODES, json={"phone": "13800138000"})
    second = code_for(app, gateway, "13800138000")
    if second != first:
        assert anon.post(SESSIONS, json={"phone": "13800138000", "code": first}).status_code == 401
    assert anon.post(SESSIONS, json={"phone": "13800138000", "code": second}).status_code == 200


def test_a_new_number_signs_up_with_the_proof_of_its_phone(app, anon, gateway):
    anon.post(CODES, json={"phone": "13900139000"})
    code = code_for(app, gateway, "13900139000")
    answer = anon.post(SESSIONS, json={"phone": "13900139000", "code": code}).get_json()
    assert answer["registered"] is False and set(answer) == {"registered", "proof"}
    body = {"name": "新人", "location": {"lat": 29.59, "lon": 106.53}, "language": "en"}
    # The phone comes from the proof only: a body cannot name another one.
    smuggled = anon.post("/api/v1/sign-in/sign-up", json={**body, "proof": answer["proof"], "phone": "13700137000"})
    assert smuggled.status_code == 422 and "phone" in smuggled.get_json()["errors"]
    forged = anon.post("/api/v1/sign-in/sign-up", json={**body, "proof": answer["proof"][:-2] + "xx"})
    assert forged.status_code == 401 and "proof" in forged.get_json()["errors"]
    created = anon.post("/api/v1/sign-in/sign-up", json={**body, "proof": answer["proof"]})
    assert created.status_code == 201, created.get_json()
    person = created.get_json()
    assert person["phone"] == "13900139000" and person["language"] == "en" and person["token"]
    me = anon.get("/api/v1/me", environ_overrides=bearer(person["token"])).get_json()
    assert me["volunteer_id"] == person["id"]
    with app.app_context():
        stored = db.session.get(Volunteer, person["id"])
        assert stored.phone_verified_at is not None
        assert stored.identity_verified is True  # a proven phone and no ID number typed: an import may merge


def test_a_proven_phone_does_not_vouch_for_an_id_number_typed_by_the_person(app, anon, gateway):
    signed_up = anon.post("/api/v1/volunteers", json={"name": "自己注册", "phone": "13900139001",
                                                      "id_number": "11010519491231002X", "address": "重庆市渝北区"})
    assert signed_up.status_code == 201 and signed_up.get_json()["identity_verified"] is False
    anon.post(CODES, json={"phone": "13900139001"})
    code = code_for(app, gateway, "13900139001")
    assert anon.post(SESSIONS, json={"phone": "13900139001", "code": code}).get_json()["registered"] is True
    with app.app_context():
        stored = db.session.get(Volunteer, signed_up.get_json()["id"])
        assert stored.phone_verified_at is not None and stored.identity_verified is False


def test_codes_are_rate_limited_per_phone(app, database_url, tmp_path):
    from web import create_app

    limited = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
                          "QUEUE_URL": f"sqlite:///{tmp_path / 'limited-queue.sqlite'}"})
    anon = limited.test_client()
    try:
        answers = [anon.post(CODES, json={"phone": "13900139000"}).status_code for _ in range(6)]
        assert answers == [202] * 5 + [429]
        assert anon.post(CODES, json={"phone": "13900139001"}).status_code == 202  # another number is not held up
    finally:
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()


# ------------------------------------------------------------------ one-tap invitation links


def link_in(gateway):
    match = re.search(r"/v/i/([A-Za-z0-9_.-]+)", gateway.bodies()[-1]["text"])
    assert match, gateway.bodies()[-1]["text"]
    return match.group(1)


def test_an_invitation_is_answered_once_from_the_link_its_sms_carries(app, anon, client, station, gateway):
    person = make_person(client, station, "张伟", "13800138000")
    assignment = invite(client, make_task(client, station), person)
    deliver(app, BEFORE)
    token = link_in(gateway)
    assert gateway.bodies()[-1]["text"].startswith("【龙溪社工站】龙溪街道社工站邀请您参加“敬老院探访”")
    shown = anon.get(f"/api/v1/invitation-links/{token}")
    assert shown.status_code == 200, shown.get_json()
    assert shown.get_json()["title"] == "敬老院探访" and shown.get_json()["status"] == "invited"
    assert "phone" not in shown.get_json()

    answer = anon.post(f"/api/v1/invitation-links/{token}", json={"status": "accepted"})
    assert answer.status_code == 200, answer.get_json()
    assert client.get(f"/api/v1/assignments/{assignment['id']}").get_json()["status"] == "accepted"
    replay = anon.post(f"/api/v1/invitation-links/{token}", json={"status": "declined"})
    assert replay.status_code == 409 and "used" in replay.get_json()["message"]
    assert client.get(f"/api/v1/assignments/{assignment['id']}").get_json()["status"] == "accepted"


def test_a_link_cannot_be_turned_to_another_invitation_or_used_after_the_start(app, anon, client, station, gateway):
    first = make_person(client, station, "甲", "13800138010")
    second = make_person(client, station, "乙", "13800138011")
    task = make_task(client, station)
    mine = invite(client, task, first)
    theirs = invite(client, task, second)
    deliver(app, BEFORE)
    tokens = [re.search(r"/v/i/([A-Za-z0-9_.-]+)", b["text"]).group(1) for b in gateway.bodies()]
    by_phone = dict(zip((b["phone"] for b in gateway.bodies()), tokens))
    token = by_phone["13800138010"]
    assert token.startswith(f"{mine['id']}.")
    forged = f"{theirs['id']}." + token.split(".", 1)[1]
    assert anon.get(f"/api/v1/invitation-links/{forged}").status_code == 404
    assert anon.post(f"/api/v1/invitation-links/{forged}", json={"status": "declined"}).status_code == 404
    assert client.get(f"/api/v1/assignments/{theirs['id']}").get_json()["status"] == "invited"

    from web.services import links

    with app.app_context(), pytest.raises(Exception, match="expired"):
        links.open_link(token, app.config["SECRET_KEY"], now=dt.datetime(2099, 1, 10, 1, 0, tzinfo=dt.UTC))
    bad = anon.post(f"/api/v1/invitation-links/{token}", json={"status": "maybe"})
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]
