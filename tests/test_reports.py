"""The coverage report on a small hand-computed city: JSON, PNG and the CLI."""
import json
import struct

import pytest

from .conftest import bearer

RANGE = "from=2099-01-01T00:00&to=2099-02-01T00:00"


def _png_size(data):
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def city(client, anon):
    """Two districts, five people, six tasks; the expected table is worked out by hand below."""
    yubei = client.post("/api/v1/stations", json={"name": "渝北站", "address": "重庆市渝北区"}).get_json()
    nanan = client.post("/api/v1/stations", json={"name": "南岸站", "address": "重庆市南岸区"}).get_json()
    people = [
        ("甲", "重庆市渝北区", ["心理疏导", "法律援助"], True),  # psychosocial + legal
        ("乙", "重庆市渝北区", ["心理咨询"], True),  # psychosocial (a synonym)
        ("丙", "重庆市渝北区", ["法律援助"], False),  # inactive: not counted
        ("丁", "重庆市南岸区", ["课业辅导"], True),  # children
        ("戊", "重庆市南岸区", ["量子力学"], True),  # no known category
    ]
    ids = []
    for name, address, skills, active in people:
        body = {"name": name, "address": address, "skills": skills, "active": active,
                "availability": [{"day": "sat", "start": "08:00", "end": "18:00"}]}
        response = client.post("/api/v1/volunteers", json=body)
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])

    def task(station, title, headcount, skills=(), required=(), when="2099-01-10"):
        response = client.post("/api/v1/tasks", json={
            "station_id": station["id"], "title": title, "headcount": headcount, "skills": list(skills),
            "required_skills": list(required), "starts_at": f"{when}T09:00", "ends_at": f"{when}T12:00"})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    counselling = task(yubei, "心理", 3, skills=["心理疏导"])
    assignment = client.post(f"/api/v1/tasks/{counselling['id']}/assignments", json={"volunteer_id": ids[0]}).get_json()
    assert client.patch(f"/api/v1/assignments/{assignment['id']}", json={"status": "accepted"}).status_code == 200
    task(yubei, "法律", 2, skills=["心理疏导"], required=["法律援助"])  # the required skill decides: legal
    task(nanan, "手语", 4, skills=["手语"])  # communication
    cancelled = task(nanan, "取消", 5, skills=["课业辅导"])
    client.patch(f"/api/v1/tasks/{cancelled['id']}", json={"status": "cancelled"})
    task(nanan, "太晚", 5, skills=["课业辅导"], when="2099-03-01")  # outside the range
    task(nanan, "杂务", 1, skills=["搬运杂物xyz"])  # no known category: other
    return yubei, nanan


EXPECTED = [
    {"district": "南岸区", "category": "children", "people": 1, "demand": 0, "gap": 0, "ratio": None},
    {"district": "南岸区", "category": "communication", "people": 0, "demand": 4, "gap": 4, "ratio": 0.0},
    {"district": "南岸区", "category": "other", "people": 0, "demand": 1, "gap": 1, "ratio": 0.0},
    {"district": "渝北区", "category": "psychosocial", "people": 2, "demand": 2, "gap": 0, "ratio": 1.0},
    {"district": "渝北区", "category": "legal", "people": 1, "demand": 2, "gap": 1, "ratio": 0.5},
]


def test_coverage_numbers_match_the_hand_computed_city(client, city):
    response = client.get(f"/api/v1/reports/coverage?{RANGE}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["rows"] == EXPECTED
    assert body["totals"] == {"people": 4, "demand": 9, "gap": 6}
    assert body["from"] == "2099-01-01T00:00:00+08:00"
    assert {"id": "legal", "zh": "法律援助", "en": "legal aid"} in body["categories"]


def test_coverage_filters(client, city):
    only = client.get(f"/api/v1/reports/coverage?{RANGE}&district=渝北区").get_json()["rows"]
    assert only == EXPECTED[3:]
    legal = client.get(f"/api/v1/reports/coverage?{RANGE}&category=legal").get_json()["rows"]
    assert legal == [EXPECTED[4]]
    later = client.get("/api/v1/reports/coverage?from=2099-02-15T00:00&to=2099-03-15T00:00").get_json()["rows"]
    assert [(r["district"], r["category"], r["demand"]) for r in later if r["demand"]] == [("南岸区", "children", 5)]


@pytest.mark.parametrize("query,field", [("category=cooking", "category"), ("from=2099-02-01&to=2099-01-01", "ends_at"),
                                         ("lang=fr", "lang"), ("from=soon", "from")])
def test_bad_report_queries_are_422(client, query, field):
    response = client.get(f"/api/v1/reports/coverage.png?{query}")
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_coverage_png_is_a_1200_by_800_image(client, city):
    for lang in ("zh", "en"):
        response = client.get(f"/api/v1/reports/coverage.png?{RANGE}&lang={lang}")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert _png_size(response.data) == (1200, 800)
    empty = client.get("/api/v1/reports/coverage.png?district=没有的区")
    assert empty.status_code == 200 and _png_size(empty.data) == (1200, 800)


def test_reports_are_for_stations_not_volunteers(client, anon, city):
    volunteer = anon.post("/api/v1/volunteers", json={"name": "志愿者", "address": "重庆市渝北区"}).get_json()
    assert anon.get("/api/v1/reports/coverage").status_code == 401
    assert anon.get("/api/v1/reports/coverage", environ_overrides=bearer(volunteer["token"])).status_code == 403


def test_a_picture_drawn_on_the_queue_is_the_picture_drawn_at_once(client, city):
    import time

    asked = client.post("/api/v1/reports/coverage-pictures",
                        json={"from": "2099-01-01T00:00", "to": "2099-02-01T00:00", "lang": "en", "district": "渝北区"})
    assert asked.status_code == 202, asked.get_json()
    state = asked.get_json()
    assert state["filters"] == {"district": "渝北区", "from": "2099-01-01T00:00:00+08:00", "to": "2099-02-01T00:00:00+08:00"}
    deadline = time.monotonic() + 60
    while state["status"] == "queued" and time.monotonic() < deadline:
        time.sleep(0.05)
        state = client.get(asked.headers["Location"]).get_json()
    assert state["status"] == "done", state
    drawn = client.get(state["png_url"])
    at_once = client.get(f"/api/v1/reports/coverage.png?{RANGE}&lang=en&district=渝北区")
    assert drawn.status_code == 200 and drawn.mimetype == "image/png" and _png_size(drawn.data) == (1200, 800)
    assert drawn.data == at_once.data


def test_pictures_are_for_stations_and_checked_at_once(client, anon, city):
    bad = client.post("/api/v1/reports/coverage-pictures", json={"lang": "fr", "from": "soon"})
    assert bad.status_code == 422 and {"lang", "from"} <= set(bad.get_json()["errors"])
    volunteer = anon.post("/api/v1/volunteers", json={"name": "志愿者", "address": "重庆市渝北区"}).get_json()
    assert anon.post("/api/v1/reports/coverage-pictures", json={}).status_code == 401
    assert anon.post("/api/v1/reports/coverage-pictures", json={},
                     environ_overrides=bearer(volunteer["token"])).status_code == 403
    picture = client.post("/api/v1/reports/coverage-pictures", json={}).get_json()
    assert anon.get(f"/api/v1/reports/coverage-pictures/{picture['id']}/png",
                    environ_overrides=bearer(volunteer["token"])).status_code == 403
    assert client.get("/api/v1/reports/coverage-pictures/999999").status_code == 404


def test_a_picture_not_drawn_is_a_409_and_old_pictures_are_purged(client, app, city):
    import datetime as dt

    from web.extensions import db
    from web.models import ReportPicture
    from web.services import pictures

    with app.app_context():
        waiting = ReportPicture(status="queued", filters={}, lang="zh")
        db.session.add(waiting)
        db.session.commit()
        waiting_id = waiting.id
    response = client.get(f"/api/v1/reports/coverage-pictures/{waiting_id}/png")
    assert response.status_code == 409 and "queued" in response.get_json()["message"]
    with app.app_context():
        assert pictures.purge(dt.datetime.now(dt.UTC) - dt.timedelta(days=1)) == 0
        assert pictures.purge(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)) >= 1
    assert client.get(f"/api/v1/reports/coverage-pictures/{waiting_id}").status_code == 404


def test_report_command_writes_png_json_and_csv(app, runner, city, tmp_path):
    png, table, sheet = tmp_path / "c.png", tmp_path / "c.json", tmp_path / "c.csv"
    for path in (png, table, sheet):
        result = runner.invoke(args=["report", "coverage", "--out", str(path), "--from", "2099-01-01", "--to", "2099-02-01"])
        assert result.exit_code == 0, result.output
        assert "5 rows: 4 people, 9 open seats, gap 6" in result.output
    assert _png_size(png.read_bytes()) == (1200, 800)
    assert json.loads(table.read_text(encoding="utf-8"))["rows"] == EXPECTED
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "district,category,people,demand,gap,ratio" and lines[2] == "南岸区,communication,0,4,4,0.0"
    bad = runner.invoke(args=["report", "coverage", "--out", str(tmp_path / "c.txt")])
    assert bad.exit_code == 2 and "--out" in bad.output
    bad = runner.invoke(args=["report", "coverage", "--out", str(png), "--category", "cooking"])
    assert bad.exit_code == 2 and "cooking" in bad.output
