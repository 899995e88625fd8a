"""Import of real platforms' exports: headers read by alias, by likeness and by their values; emergency
contacts never read as the person's phone; JSON Lines in the API's own shape; duplicates that name their key."""
import csv
import json
import time

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from web.extensions import db
from web.models import Volunteer
from web.services.imports.headers import map_headers, read_headers
from web.services.imports.importer import import_volunteers


def run(runner, *args):
    """`flask --app web import-volunteers ...`; returns the click result."""
    return runner.invoke(args=["import-volunteers", *map(str, args)])


def write_csv(path, rows, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def stored(app):
    """name -> (phone, skills, availability, district, address) of everyone stored."""
    with app.app_context():
        return {v.name: (v.phone, v.skills, v.availability, v.district, v.address)
                for v in db.session.execute(select(Volunteer)).scalars()}


def block(output, title):
    """The indented lines under a summary line `title` (the columns read), as a list."""
    lines = output.splitlines()
    start = lines.index(title) + 1
    found = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        found.append(line.strip())
    return found


def unknown_line(output):
    return next(line for line in output.splitlines() if line.startswith("  unknown columns"))


EMERGENCY = "emergency contact: no field for it"

REAL_EXPORT = [
    ["序号", "志愿者姓名", "紧急联系人电话", "联系电话/手机", "紧急联系人", "服务时间段", "技能特长", "居住小区", "备注"],
    ["1", "张伟", "13900000001", "13800008001", "张父", "周末", "心理疏导、法律咨询", "重庆市渝北区龙溪街道", ""],
    ["2", "李娜", "13900000002", "138 0000 8002", "李母", "工作日晚上", "手语，急救", "重庆市江北区观音桥", "常来"],
    ["3", "王芳", "13900000003", "+86 13800008003", "王兄", "周六上午", "烹饪", "重庆市南岸区", ""],
]


def write_table(tmp_path, rows, kind):
    """The rows as a UTF-8 CSV, a GBK CSV or an .xlsx (numbers as Excel stores them); returns its path."""
    if kind == "xlsx":
        book = Workbook()
        for row in rows:
            book.active.append([int(c) if c.isdigit() else c for c in row])
        book.save(tmp_path / "export.xlsx")
        return tmp_path / "export.xlsx"
    return write_csv(tmp_path / "export.csv", rows, encoding="gbk" if kind == "gbk" else "utf-8")


@pytest.mark.parametrize("kind", ["csv", "gbk", "xlsx"])
def test_a_real_export_is_read_by_likeness_and_content_and_says_how(runner, app, tmp_path, kind):
    result = run(runner, write_table(tmp_path, REAL_EXPORT, kind))
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0, rejected 0" in result.output
    people = stored(app)
    assert people["张伟"] == ("13800008001", ["心理疏导", "法律咨询"],
                            [{"day": "sat", "start": "08:00", "end": "21:00"}, {"day": "sun", "start": "08:00", "end": "21:00"}],
                            "渝北区", "重庆市渝北区龙溪街道")
    assert people["李娜"][:2] == ("13800008002", ["手语", "急救"]) and people["李娜"][3] == "江北区"
    assert people["王芳"][0] == "13800008003" and people["王芳"][2] == [{"day": "sat", "start": "08:00", "end": "12:00"}]
    assert block(result.output, "  columns read as:") == [
        "志愿者姓名 → name",
        "联系电话/手机 → phone (a header like 联系电话)",
        "服务时间段 → availability (a header like 服务时间)",
        "技能特长 → skills",
        "居住小区 → address (from its values: 3 of 3 begin with a place name)",
    ]
    assert unknown_line(result.output) == (f"  unknown columns (not imported): 序号, 紧急联系人电话 ({EMERGENCY}), "
                                           f"紧急联系人 ({EMERGENCY}), 备注")


@pytest.mark.parametrize("header", ["紧急联系人电话", "紧急联系电话", "家属电话", "紧急联系人手机", "紧急联系方式", "监护人电话",
                                    "Emergency Contact Phone", "emergency_phone", "Emergency No.", "ICE phone"])
def test_an_emergency_contact_is_never_the_persons_phone(runner, app, tmp_path, header):
    # The emergency column comes first, holds mobile numbers, and the person's own is under a header
    # no alias knows: read from its values, never from the emergency contact's.
    rows = [["姓名", header, "号码", "地址"],
            ["张三", "13900000001", "13800000001", "重庆市渝北区"],
            ["李四", "13900000002", "13800000002", "重庆市渝中区"]]
    result = run(runner, write_csv(tmp_path / "people.csv", rows))
    assert result.exit_code == 0, result.output
    assert {name: p[0] for name, p in stored(app).items()} == {"张三": "13800000001", "李四": "13800000002"}
    assert "号码 → phone (from its values: 2 of 2 are mobile numbers)" in block(result.output, "  columns read as:")
    assert unknown_line(result.output) == f"  unknown columns (not imported): {header} ({EMERGENCY})"


def test_an_emergency_column_alone_gives_no_phone(runner, app, tmp_path):
    rows = [["姓名", "紧急联系电话", "服务区域"], ["张三", "13900000001", "重庆市渝北区"],
            ["李四", "13900000002", "重庆市渝中区"]]
    result = run(runner, write_csv(tmp_path / "people.csv", rows))
    assert result.exit_code == 0, result.output
    assert {name: p[0] for name, p in stored(app).items()} == {"张三": None, "李四": None}
    assert block(result.output, "  columns read as:") == ["姓名 → name", "服务区域 → address"]


def test_the_mapping_still_overrides_everything(runner, app, tmp_path):
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"紧急联系人电话": "phone", "备注": "address"}, ensure_ascii=False), encoding="utf-8")
    rows = [["志愿者姓名", "紧急联系人电话", "联系电话/手机", "居住小区", "备注"],
            ["张三", "13900000001", "13800000001", "重庆市渝北区", "重庆市渝中区"],
            ["李四", "13900000002", "13800000002", "重庆市渝北区", "重庆市南岸区"]]
    result = run(runner, write_csv(tmp_path / "people.csv", rows), "--mapping", mapping)
    assert result.exit_code == 0, result.output
    assert stored(app)["张三"][0] == "13900000001" and stored(app)["张三"][3] == "渝中区"
    assert block(result.output, "  columns read as:") == [
        "志愿者姓名 → name", "紧急联系人电话 → phone (mapping)", "备注 → address (mapping)"]
    assert unknown_line(result.output) == ("  unknown columns (not imported): 联系电话/手机 (phone is read from 紧急联系人电话), "
                                           "居住小区 (address is read from 备注)")


def test_values_decide_skills_availability_and_id_numbers(runner, app, tmp_path):
    rows = [["姓名", "擅长", "时间安排", "证件", "所在社区", "手机"],
            ["张三", "心理疏导、手语", "周末", "11010519491231002X", "重庆市渝北区龙溪街道", "13800000001"],
            ["李四", "急救", "工作日晚上", "110105198001010016", "重庆市江北区观音桥", "13800000002"],
            ["王五", "法律援助，儿童陪伴", "周六上午", "", "重庆市南岸区", "13800000003"]]
    result = run(runner, write_csv(tmp_path / "people.csv", rows))
    assert result.exit_code == 0, result.output
    assert stored(app)["张三"][:4] == ("13800000001", ["心理疏导", "手语"],
                                     [{"day": "sat", "start": "08:00", "end": "21:00"},
                                      {"day": "sun", "start": "08:00", "end": "21:00"}], "渝北区")
    with app.app_context():
        assert db.session.execute(select(Volunteer.id_number).filter_by(name="张三")).scalar_one() == "11010519491231002X"
    assert block(result.output, "  columns read as:") == [
        "姓名 → name", "擅长 → skills (from its values: 3 of 3 name known skills)",
        "时间安排 → availability (from its values: 3 of 3 read as days and times)",
        "证件 → id_number (from its values: 2 of 2 are ID numbers)",
        "所在社区 → address (from its values: 3 of 3 begin with a place name)", "手机 → phone"]


def test_json_lines_that_name_a_key_after_the_sample_map_it_then(runner, app, tmp_path):
    lines = [{"name": f"志愿者{i}", "phone": f"139{i:08d}", "address": "重庆市渝北区"} for i in range(250)]
    lines[240]["skills"] = ["手语"]
    path = tmp_path / "late.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert stored(app)["志愿者240"][1] == ["手语"] and stored(app)["志愿者239"][1] == []
    assert block(result.output, "  columns read as:") == ["name → name", "phone → phone", "address → address", "skills → skills"]


def test_content_never_overrides_an_exact_alias_and_looks_at_the_first_200_rows_only(runner, app, tmp_path):
    rows = [["姓名", "手机", "备用号码", "服务区域", "资料"]]
    for i in range(250):
        # 资料 is empty in the first 200 rows, then holds addresses: not looked at, not read.
        rows.append([f"志愿者{i}", f"138{i:08d}", f"139{i:08d}", "重庆市渝北区", "" if i < 200 else "重庆市渝中区"])
    result = run(runner, write_csv(tmp_path / "people.csv", rows))
    assert result.exit_code == 0, result.output
    assert stored(app)["志愿者7"][0] == "13800000007" and stored(app)["志愿者220"][3] == "渝北区"
    assert block(result.output, "  columns read as:") == ["姓名 → name", "手机 → phone", "服务区域 → address"]
    assert unknown_line(result.output) == "  unknown columns (not imported): 备用号码 (phone is read from 手机), 资料"


def test_two_columns_that_both_look_like_phones_are_left_to_the_mapping(runner, app, tmp_path):
    rows = [["姓名", "号码一", "号码二", "地址"], ["张三", "13800000001", "13900000001", "重庆市渝北区"],
            ["李四", "13800000002", "13900000002", "重庆市渝北区"]]
    result = run(runner, write_csv(tmp_path / "people.csv", rows))
    assert result.exit_code == 0, result.output
    assert {p[0] for p in stored(app).values()} == {None}
    assert unknown_line(result.output) == (
        "  unknown columns (not imported): 号码一 (its values look like phone, as do 号码二's: name one with --mapping), "
        "号码二 (its values look like phone, as do 号码一's: name one with --mapping)")


def test_a_similar_header_whose_values_disagree_is_not_read(runner, app, tmp_path):
    # 证件类型 (ID type) holds 类型 (role) but its values are not roles; Email address holds address
    # but its values are not places; 户籍地址 is where one is registered, not where one lives.
    rows = [["姓名", "证件类型", "Email address", "户籍地址", "手机", "居住小区"],
            ["张三", "身份证", "zs@example.com", "四川省南充市顺庆区", "13800000001", "重庆市渝北区"],
            ["李四", "身份证", "ls@example.com", "四川省南充市顺庆区", "13800000002", "重庆市渝中区"],
            ["王五", "护照", "ww@example.com", "四川省南充市顺庆区", "13800000003", "重庆市南岸区"]]
    result = run(runner, write_csv(tmp_path / "people.csv", rows))
    assert result.exit_code == 0, result.output
    assert {name: p[3] for name, p in stored(app).items()} == {"张三": "渝北区", "李四": "渝中区", "王五": "南岸区"}
    assert block(result.output, "  columns read as:") == [
        "姓名 → name", "手机 → phone", "居住小区 → address (from its values: 3 of 3 begin with a place name)"]
    assert unknown_line(result.output) == (
        "  unknown columns (not imported): 证件类型 (a header like 类型, but 3 of 3 values do not read as role), "
        "Email address (a header like address, but 3 of 3 values do not read as address), 户籍地址 (not where the person lives)")


@pytest.mark.parametrize("header,field", [
    ("手机号码(必填)", "phone"), ("联系电话/手机", "phone"), ("志愿者姓名", "name"), ("服务时间段", "availability"),
    ("技能特长", "skills"), ("Mobile No.", "phone"), ("Full name", "name"), ("*真实姓名", "name"), ("移动电话", "phone"),
    ("现居住地址", "address"), ("可服务时段", "availability"), ("个人专业技能", "skills"), ("Home Address", "address"),
    ("Adress", "address"), ("Telphone", "phone"), ("Skills & Interests", "skills"), ("Available times", "availability"),
    ("所属服务站名称", "station"), ("紧急救援技能", "skills"), ("Volunteer Name", "name"), ("phonenumber", "phone"),
])
def test_similar_headers(header, field):
    assert map_headers(["编号", header]) == ({0: "external_id", 1: field}, [])


@pytest.mark.parametrize("header", ["星座", "性别", "E-mail", "备注", "Gender", "Date of Birth", "紧急联系人", "家属电话",
                                    "Emergency Contact", "紧急联系人姓名", "出生日期", "民族", "政治面貌", "Notes", "注册时间"])
def test_headers_that_are_none_of_the_fields(header):
    assert map_headers(["姓名", header]) == ({0: "name"}, [header])


def test_a_title_line_naming_people_is_not_taken_for_the_header(runner, app, tmp_path):
    rows = [["渝北区志愿者姓名及联系方式汇总表"], ["真实姓名", "移动电话", "现居住地址"], ["张三", "13800000001", "重庆市渝北区"]]
    result = run(runner, write_csv(tmp_path / "people.csv", rows))
    assert result.exit_code == 0, result.output
    assert stored(app)["张三"][:1] == ("13800000001",)


def test_header_sniffing_stays_cheap_on_a_wide_file(app):
    headers = ["姓名", *(f"列{i}" for i in range(199))]
    sample = [[f"志愿者{r}", *(f"随便写点什么{r}-{c}" * 20 for c in range(199))] for r in range(200)]
    with app.app_context():
        started = time.perf_counter()
        found = read_headers(headers, sample=sample)
        elapsed = time.perf_counter() - started
    assert found.columns == {0: "name"} and len(found.unknown) == 199
    assert elapsed < 2.0, elapsed


# JSON Lines in the API's own shape.

API_BODIES = [
    {"name": "赵一", "external_id": "API-1", "phone": "13800009001", "id_number": "11010519491231002X",
     "skills": ["心理疏导", "法律咨询"], "certificates": ["社会工作者证"], "languages": ["普通话", "英语"],
     "location": {"lat": 29.563, "lon": 106.5516},
     "availability": [{"day": "sat", "start": "09:00", "end": "12:00"}, {"day": "sun", "start": "14:00", "end": "18:00"}],
     "max_distance_km": 5, "max_hours_per_week": 6, "role": "social_worker", "tier": "core"},
    {"name": "钱二", "external_id": "API-2", "phone": "13800009002", "address": "重庆市江北区观音桥", "skills": ["手语"],
     "availability": [{"day": "wed", "start": "19:00", "end": "21:30"}], "active": False},
    {"name": "孙三", "phone": "13800009003", "location": {"lat": 29.6, "lon": 106.62}, "skills": [], "availability": [],
     "district": "渝北区"},
]
FIELDS = ("name", "skills", "certificates", "languages", "lat", "lon", "district", "address", "availability", "max_distance_km",
          "max_hours_per_week", "role", "tier", "active", "station_id")


def _as_stored(app, **where):
    with app.app_context():
        person = db.session.execute(select(Volunteer).filter_by(**where)).scalar_one()
        return {f: getattr(person, f) for f in FIELDS}


def test_json_lines_of_api_bodies_import_as_the_api_takes_them(runner, app, client, station, tmp_path):
    bodies = [dict(API_BODIES[0], station_id=station["id"]), *API_BODIES[1:]]
    path = tmp_path / "api.jsonl"
    path.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bodies), encoding="utf-8")
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0, rejected 0" in result.output
    assert unknown_line(result.output) == "  unknown columns (not imported): none"
    first = _as_stored(app, phone="13800009001")
    assert first == {"name": "赵一", "skills": ["心理疏导", "法律咨询"], "certificates": ["社会工作者证"],
                     "languages": ["普通话", "英语"], "lat": 29.563, "lon": 106.5516, "district": first["district"],
                     "address": None,
                     "availability": bodies[0]["availability"], "max_distance_km": 5.0, "max_hours_per_week": 6.0,
                     "role": "social_worker", "tier": "core", "active": True, "station_id": station["id"]}
    assert first["district"] == "渝中区"
    assert _as_stored(app, phone="13800009002")["active"] is False
    assert _as_stored(app, phone="13800009003")["district"] == "渝北区"
    # The same bodies sent to POST /api/v1/volunteers (their keys changed) are stored the same.
    for i, body in enumerate(bodies):
        sent = dict(body, phone=f"1370000900{i}", external_id=f"POST-{i}")
        sent.pop("id_number", None)
        response = client.post("/api/v1/volunteers", json=sent)
        assert response.status_code == 201, response.get_json()
        assert _as_stored(app, phone=f"1370000900{i}") == _as_stored(app, phone=body["phone"])


def test_keys_the_api_sets_itself_are_not_read_as_other_fields(runner, app, station, tmp_path):
    body = {"name": "吴六", "phone": "13800009006", "address": "重庆市渝北区", "requested_station_id": station["id"],
            "volunteer_number": "VM00000042", "identity_verified": False}
    path = tmp_path / "api.jsonl"
    path.write_text(json.dumps(body, ensure_ascii=False) + "\n", encoding="utf-8")
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert _as_stored(app, phone="13800009006")["station_id"] is None
    note = "set by volmatch, not by an import"
    assert unknown_line(result.output) == (f"  unknown columns (not imported): requested_station_id ({note}), "
                                           f"volunteer_number ({note}), identity_verified ({note})")


def test_an_api_body_the_api_refuses_is_rejected_with_the_apis_words(runner, app, client, tmp_path):
    body = {"name": "周四", "phone": "13800009004", "address": "重庆市渝北区",
            "availability": [{"day": "someday", "start": "09:00", "end": "12:00"}]}
    path, report = tmp_path / "api.jsonl", tmp_path / "report.csv"
    path.write_text(json.dumps(body, ensure_ascii=False) + "\n", encoding="utf-8")
    result = run(runner, path, "--report", report)
    assert result.exit_code == 1 and "rejected 1" in result.output, result.output
    rows = list(csv.DictReader(report.read_text("utf-8-sig").splitlines()))
    assert [(r["row"], r["column"], r["value"], r["reason"]) for r in rows] == [
        ("1", "availability", '[{"day": "someday", "start": "09:00", "end": "12:00"}]',
         "0: day: Must be one of: mon, tue, wed, thu, fri, sat, sun.")]
    api = client.post("/api/v1/volunteers", json=body).get_json()
    assert api["errors"]["availability"] == {"0": {"day": ["Must be one of: mon, tue, wed, thu, fri, sat, sun."]}}


def test_the_summary_carries_the_columns_read(app, tmp_path):
    path = write_csv(tmp_path / "export.csv", REAL_EXPORT)
    with app.app_context():
        summary = import_volunteers(str(path), progress=False)
    assert summary.columns_read[1] == {"column": "联系电话/手机", "field": "phone", "how": "similar header", "like": "联系电话"}
    assert summary.columns_read[4] == {"column": "居住小区", "field": "address", "how": "values",
                                       "like": "3 of 3 begin with a place name"}
    assert summary.columns_text() == ("columns read: 志愿者姓名 → name, 联系电话/手机 → phone (a header like 联系电话), "
                                      "服务时间段 → availability (a header like 服务时间), 技能特长 → skills, "
                                      "居住小区 → address (from its values: 3 of 3 begin with a place name)")
    assert summary.unknown_columns[1] == f"紧急联系人电话 ({EMERGENCY})"


# Duplicates say which key made them the same person.

def test_a_rejected_duplicate_names_its_key_masked(runner, app, tmp_path):
    rows = [["姓名", "志愿者编号", "手机", "身份证号", "服务区域"],
            ["张三", "V-17", "13800008001", "", "重庆市渝北区"],
            ["张三", "V-17", "13800008001", "", "重庆市渝中区"],
            ["李四", "", "13800008002", "", "重庆市渝北区"],
            ["李四", "", "13800008002", "", "重庆市渝中区"],
            ["王五", "", "", "11010519491231002X", "重庆市渝北区"],
            ["王五", "", "", "11010519491231002X", "重庆市渝中区"]]
    report = tmp_path / "report.csv"
    result = run(runner, write_csv(tmp_path / "people.csv", rows), "--report", report)
    assert "created 3, updated 0, unchanged 0, rejected 3" in result.output, result.output
    text = report.read_text("utf-8-sig")
    reasons = [(r["row"], r["reason"]) for r in csv.DictReader(text.splitlines())]
    assert reasons == [
        ("3", "same person as row 2 but with different data (external_id V-17 is also row 2's)"),
        ("5", "same person as row 4 but with different data (phone 138****8002 is also row 4's)"),
        ("7", "same person as row 6 but with different data (id_number 1101**********002X is also row 6's)"),
    ]
    assert "13800008002" not in text and "11010519491231002X" not in text
