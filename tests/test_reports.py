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


SAT = [{"day": "sat", "start": "08:00", "end": "18:00"}]
SUN = [{"day": "sun", "start": "08:00", "end": "18:00"}]


@pytest.fixture
def mismatched(client):
    """One district where the report's old count (active, with a skill of the category) claims supply
    that the matcher cannot use: the only psychosocial task wants a social worker on Saturday morning.

    2099-01-10 is a Saturday. Who could take which task (the matcher's hard filters, role and time):
    - 甲 social worker, 心理咨询 + 儿童陪伴, free Sundays: not the Saturday task; yes the Sunday one (any role);
    - 乙 volunteer, 心理疏导, free Saturdays: not the psychosocial task (a volunteer);
    - 丙 social worker, 心理慰藉, free Saturdays 10:00-18:00: only 2 of its 3 hours (not counted, as `partial` is off);
    - 丁 social worker, 心理疏导, free Saturdays, inactive: never counted;
    - 戊 volunteer, 法律援助, free Sundays: no legal task at all, so counted as before;
    - 己 volunteer, 课业辅导, free Sundays: takes the Sunday task;
    - 庚 volunteer, 儿童陪伴, free Saturdays: not the Sunday task.
    """
    station = client.post("/api/v1/stations", json={"name": "渝北站", "address": "重庆市渝北区"}).get_json()
    people = [
        ("甲", "social_worker", ["心理咨询", "儿童陪伴"], SUN, True),
        ("乙", "volunteer", ["心理疏导"], SAT, True),
        ("丙", "social_worker", ["心理慰藉"], [{"day": "sat", "start": "10:00", "end": "18:00"}], True),
        ("丁", "social_worker", ["心理疏导"], SAT, False),
        ("戊", "volunteer", ["法律援助"], SUN, True),
        ("己", "volunteer", ["课业辅导"], SUN, True),
        ("庚", "volunteer", ["儿童陪伴"], SAT, True),
    ]
    ids = {}
    for name, role, skills, slots, active in people:
        response = client.post("/api/v1/volunteers", json={"name": name, "address": "重庆市渝北区", "role": role,
                                                            "skills": skills, "availability": slots, "active": active})
        assert response.status_code == 201, response.get_json()
        ids[name] = response.get_json()["id"]

    def task(title, role, skills, headcount, day, hours):
        response = client.post("/api/v1/tasks", json={
            "station_id": station["id"], "title": title, "role": role, "skills": skills, "headcount": headcount,
            "starts_at": f"{day}T{hours[0]}", "ends_at": f"{day}T{hours[1]}"})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    psych = task("周六上午心理疏导", "social_worker", ["心理疏导"], 2, "2099-01-10", ("09:00", "12:00"))
    tutoring = task("周日下午课业辅导", "any", ["课业辅导"], 1, "2099-01-11", ("14:00", "16:00"))
    return ids, psych, tutoring


def test_coverage_counts_only_people_who_could_take_a_task_of_the_cell(client, mismatched):
    ids, psych, tutoring = mismatched
    # The matcher: nobody for the psychosocial task (丙 only with partial); for the Sunday one (any role, no
    # required skill) everyone active free then: 甲, 戊 and 己, of whom 甲 and 己 have a skill of the category.
    assert client.get(f"/api/v1/tasks/{psych}/matches").get_json()["results"] == []
    partly = client.get(f"/api/v1/tasks/{psych}/matches?partial=true").get_json()["results"]
    assert [r["volunteer_id"] for r in partly] == [ids["丙"]]
    tutors = client.get(f"/api/v1/tasks/{tutoring}/matches").get_json()["results"]
    assert sorted(r["volunteer_id"] for r in tutors) == [ids["甲"], ids["戊"], ids["己"]]

    body = client.get(f"/api/v1/reports/coverage?{RANGE}").get_json()
    assert body["rows"] == [
        # Before: people 3 (甲, 乙, 丙) and gap 0, though the one task there has no candidate.
        {"district": "渝北区", "category": "psychosocial", "people": 0, "demand": 2, "gap": 2, "ratio": 0.0},
        # Before: people 3 (甲, 己, 庚).
        {"district": "渝北区", "category": "children", "people": 2, "demand": 1, "gap": 0, "ratio": 2.0},
        # No open task of the cell: people are counted as before (active, with a skill of the category).
        {"district": "渝北区", "category": "legal", "people": 1, "demand": 0, "gap": 0, "ratio": None},
    ]
    assert body["totals"] == {"people": 3, "demand": 3, "gap": 2}


def test_a_cell_whose_tasks_are_all_staffed_counts_people_as_before(client, mismatched):
    """Supply is measured against the tasks that still have seats: once both psychosocial seats are
    taken, that cell has none, and its people are counted as in a cell without tasks."""
    ids, psych, _ = mismatched
    for name in ("丙", "甲"):  # staff may seat social workers by hand, free or not
        assignment = client.post(f"/api/v1/tasks/{psych}/assignments", json={"volunteer_id": ids[name]}).get_json()
        assert client.patch(f"/api/v1/assignments/{assignment['id']}", json={"status": "accepted"}).status_code == 200
    rows = client.get(f"/api/v1/reports/coverage?{RANGE}&category=psychosocial").get_json()["rows"]
    assert rows == [{"district": "渝北区", "category": "psychosocial", "people": 3, "demand": 0, "gap": 0, "ratio": None}]


# ---------------------------------------------------------------- the console's report: districts, order, pages


def _coverage(client, query="", **kwargs):
    response = client.get(f"/api/v1/reports/coverage?{RANGE}&{query}", **kwargs)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("typed", ["渝北", "渝北区", " 渝 北 ", "渝北县", "重庆市渝北区"])
def test_a_district_is_found_with_or_without_its_suffix(client, city, typed):
    from urllib.parse import quote

    body = _coverage(client, f"district={quote(typed)}")
    assert body["district"] == "渝北区" and body["rows"] == EXPECTED[3:]


def test_a_district_that_matches_nothing_is_a_422_that_says_so(client, city):
    unknown = client.get(f"/api/v1/reports/coverage?{RANGE}&district=火星")
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"district": ["no district called 火星"]}
    # Part of a name: the districts it is part of are offered.
    partial = client.get(f"/api/v1/reports/coverage?{RANGE}&district=渝").get_json()
    assert partial["errors"]["district"] == ["no district called 渝; did you mean 渝北区?"]
    for export in ("csv", "xlsx"):
        assert client.get(f"/api/v1/reports/coverage.{export}?district=火星").status_code == 422
    # A real district where nobody lives and no task is: found, and empty (the console says so).
    empty = _coverage(client, "district=城口")
    assert empty["district"] == "城口县" and empty["rows"] == [] and empty["total_rows"] == 0


def test_districts_are_in_pinyin_order_not_character_codes(client):
    from web.services.coverage import pinyin_key

    names = ["渝中区", "璧山区", "北碚区", "巴南区", "綦江区", "长寿区", "潼南区", "石柱土家族自治县"]
    assert sorted(names) != sorted(names, key=pinyin_key)  # by character code 北 (U+5317) comes before 巴 (U+5DF4)
    assert sorted(names, key=pinyin_key) == ["巴南区", "北碚区", "璧山区", "长寿区", "綦江区", "石柱土家族自治县",
                                             "潼南区", "渝中区"]
    for address in ("重庆市璧山区", "重庆市北碚区", "重庆市巴南区"):
        response = client.post("/api/v1/volunteers", json={"name": "甲", "address": address, "skills": ["法律援助"]})
        assert response.status_code == 201, response.get_json()
    body = _coverage(client)
    assert [r["district"] for r in body["rows"]] == ["巴南区", "北碚区", "璧山区"]
    assert body["districts"] == ["巴南区", "北碚区", "璧山区"]


def test_largest_gap_first_a_page_at_a_time(client, city):
    by_gap = [EXPECTED[1], EXPECTED[4], EXPECTED[2], EXPECTED[3], EXPECTED[0]]  # gap, then open seats
    body = _coverage(client, "sort=gap")
    assert body["rows"] == by_gap and body["sort"] == "gap"
    assert (body["page"], body["page_size"], body["pages"], body["total_rows"]) == (1, None, 1, 5)
    pages = [_coverage(client, f"sort=gap&page_size=2&page={page}") for page in (1, 2, 3, 4)]
    assert [p["rows"] for p in pages] == [by_gap[:2], by_gap[2:4], by_gap[4:], []]
    assert {(p["pages"], p["total_rows"]) for p in pages} == {(3, 5)}
    assert all(p["totals"] == {"people": 4, "demand": 9, "gap": 6} for p in pages)  # totals of every page
    assert pages[0]["districts"] == ["南岸区", "渝北区"] and pages[0]["own_districts"] == []  # an admin has none
    bad = client.get("/api/v1/reports/coverage?sort=name&page=0&page_size=5000")
    assert bad.status_code == 422 and {"sort", "page", "page_size"} <= set(bad.get_json()["errors"])


def test_a_coordinator_sees_their_own_districts_first(anon, city, make_token):
    _, nanan = city
    coordinator = bearer(make_token("coordinator", station_ids=[nanan["id"]]))
    yours = _coverage(anon, "sort=gap", environ_base=coordinator)
    assert yours["own_districts"] == ["南岸区"]
    assert [r["district"] for r in yours["rows"]] == ["南岸区"] * 3 + ["渝北区"] * 2
    assert [r["gap"] for r in yours["rows"]] == [4, 1, 0, 1, 0]  # by gap within each
    everyone = _coverage(anon, "sort=gap&own_first=false", environ_base=coordinator)
    assert [r["gap"] for r in everyone["rows"]] == [4, 1, 1, 0, 0]


def _read_xlsx(data):
    import io
    import zipfile

    from openpyxl import load_workbook

    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    return load_workbook(io.BytesIO(data)).active, sheet_xml


def test_the_table_exports_as_csv_and_excel(client, city):
    csv_answer = client.get(f"/api/v1/reports/coverage.csv?{RANGE}&sort=gap")
    assert csv_answer.status_code == 200 and csv_answer.mimetype == "text/csv"
    assert 'filename="coverage-20990101-20990201.csv"' in csv_answer.headers["Content-Disposition"]
    text = csv_answer.get_data(as_text=True)
    assert text.startswith("\ufeff")
    lines = text[1:].splitlines()
    assert lines[0] == "区县 district,技能类别 category,可服务人数 people,待补岗位 open seats,缺口 gap,人数/岗位 people per seat"
    assert lines[1:] == ["南岸区,语言沟通,0,4,4,0.0", "渝北区,法律援助,1,2,1,0.5", "南岸区,其他,0,1,1,0.0",
                         "渝北区,心理社会支持,2,2,0,1.0", "南岸区,儿童服务,1,0,0,"]
    english = client.get(f"/api/v1/reports/coverage.csv?{RANGE}&sort=gap&lang=en").get_data(as_text=True)
    assert "南岸区,communication,0,4,4,0.0" in english

    xlsx = client.get(f"/api/v1/reports/coverage.xlsx?{RANGE}&sort=gap")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet, _ = _read_xlsx(xlsx.data)
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "区县 district" and rows[1] == ["南岸区", "语言沟通", 0, 4, 4, 0]
    assert rows[5] == ["南岸区", "儿童服务", 1, 0, 0, None] and len(rows) == 6


def test_exports_never_carry_a_formula(client):
    """A district the admin API took as typed (see test_csv_injection.py): text in both, run by neither."""
    for name, district in (("甲", "=1+2"), ("乙", "@SUM(1)"), ("丙", "-3")):
        created = client.post("/api/v1/volunteers", json={"name": name, "skills": ["心理疏导"], "district": district,
                                                         "location": {"lat": 29.5935, "lon": 106.5289}})
        assert created.status_code == 201 and created.get_json()["district"] == district
    text = client.get("/api/v1/reports/coverage.csv?sort=district").get_data(as_text=True)
    assert [line.split(",")[0] for line in text[1:].splitlines()[1:]] == ["'-3", "'=1+2", "'@SUM(1)"]
    sheet, xml = _read_xlsx(client.get("/api/v1/reports/coverage.xlsx?sort=district").data)
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == ["-3", "=1+2", "@SUM(1)"]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)  # shown as typed, kept as text
    assert "<f>" not in xml and "<f " not in xml


def test_odd_names_export_and_draw_instead_of_failing(client):
    """A district with a control character (a workbook may not hold one) and one that reads like
    matplotlib's mathematics: the export and the chart still answer (both were 500s)."""
    created = client.post("/api/v1/volunteers", json={"name": "丁", "skills": ["心理疏导"], "district": "\x01渝北区",
                                                     "location": {"lat": 29.5935, "lon": 106.5289}})
    assert created.status_code == 201, created.get_json()
    xlsx = client.get("/api/v1/reports/coverage.xlsx?sort=district")
    assert xlsx.status_code == 200
    sheet, _ = _read_xlsx(xlsx.data)
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["渝北区"]
    for query in ("district=%24%5Cfoo%7B%24", "layout=narrow&district=%24%5Cfoo%7B%24"):
        picture = client.get(f"/api/v1/reports/coverage.png?{query}")
        assert picture.status_code in (200, 422), picture.get_json()
    created = client.post("/api/v1/volunteers", json={"name": "戊", "skills": ["心理疏导"], "district": "$\\foo{$",
                                                     "location": {"lat": 29.5935, "lon": 106.5289}})
    assert created.status_code == 201, created.get_json()
    for layout in ("wide", "narrow"):
        picture = client.get(f"/api/v1/reports/coverage.png?layout={layout}")
        assert picture.status_code == 200 and picture.data[:4] == b"\x89PNG"


def test_the_chart_keeps_its_bars_legible_for_one_row_or_forty(client, city):
    import datetime as dt

    from web.services.coverage import category_labels
    from web.services.coverage_chart import MAX_BARS, coverage_png

    def report(n):
        rows = [{"district": f"第{i}区", "category": "legal", "people": i % 3, "demand": 5, "gap": 5 - i % 3, "ratio": None}
                for i in range(n)]
        return {"from": dt.datetime(2099, 1, 1, tzinfo=dt.UTC), "to": dt.datetime(2099, 2, 1, tzinfo=dt.UTC),
                "categories": category_labels(), "rows": rows}

    for n in (1, 40):
        assert _png_size(coverage_png(report(n))) == (1200, 800)
    # The phone's picture grows with its bars (one under each row's name), up to MAX_BARS of them.
    heights = {n: _png_size(coverage_png(report(n), narrow=True)) for n in (1, 2, MAX_BARS, 40)}
    assert {w for w, _ in heights.values()} == {1200}
    assert heights[1][1] < heights[2][1] < heights[MAX_BARS][1] == heights[40][1]
    page = client.get(f"/api/v1/reports/coverage.png?{RANGE}&sort=gap&page_size=2&layout=narrow")
    assert page.status_code == 200 and _png_size(page.data)[0] == 1200
    assert client.get("/api/v1/reports/coverage.png?layout=tall").status_code == 422
