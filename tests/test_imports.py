"""Bulk import: formats, encodings, dirty cells, the report, duplicates, idempotence, exit statuses."""
import csv
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from web.extensions import db
from web.models import AuditEntry, Volunteer
from web.services.imports.cells import parse_availability, phone_text, split_list
from web.services.imports.headers import map_headers
from web.services.imports.importer import BATCH_ROWS

DATA = Path(__file__).parent / "data" / "import"
FORMATS = ["people_utf8.csv", "people_utf8_bom.csv", "people_gbk.csv", "people_tab.csv", "people_semicolon.csv",
           "people.xlsx", "people.jsonl"]


def run(runner, *args):
    """`flask --app web import-volunteers ...`; returns the click result."""
    return runner.invoke(args=["import-volunteers", *map(str, args)])


def people(app):
    """Everything stored about people, comparable across runs."""
    with app.app_context():
        rows = db.session.execute(select(Volunteer).order_by(Volunteer.external_id, Volunteer.phone)).scalars()
        return [(v.external_id, v.name, v.phone, v.id_number, v.skills, v.district, v.lat, v.lon, v.availability,
                 v.role, v.tier, v.station_id, v.volunteer_number) for v in rows]


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_and_encoding(runner, app, name):
    result = run(runner, DATA / name)
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0, rejected 0" in result.output
    assert "性别" in result.output or "gender" in result.output  # unknown columns are listed, not dropped silently
    stored = {p[0]: p for p in people(app)}
    assert stored["CQ-0001"][2] == "13800138000" and stored["CQ-0001"][3] == "11010519491231002X"
    assert stored["CQ-0001"][4] == ["心理疏导", "法律咨询"] and stored["CQ-0001"][5] == "渝北区"
    assert stored["CQ-0002"][2] == "13900139000" and stored["CQ-0002"][4] == ["手语", "急救"]
    assert stored["CQ-0003"][2] == "13700137000" and stored["CQ-0003"][4] == ["烹饪", "电工"]
    assert stored["CQ-0003"][8] == [{"day": "sat", "start": "08:00", "end": "12:00"},
                                    {"day": "sun", "start": "14:00", "end": "18:00"}]
    assert all(p[12].startswith("VM") for p in stored.values())


def test_same_people_in_every_format_are_unchanged_and_idempotent(runner, app):
    assert run(runner, DATA / FORMATS[0]).exit_code == 0
    before = people(app)
    for name in FORMATS:
        result = run(runner, DATA / name)
        assert "created 0, updated 0, unchanged 3, rejected 0" in result.output, (name, result.output)
    assert people(app) == before


def test_dirty_file_report(runner, app, tmp_path):
    report = tmp_path / "report.csv"
    result = run(runner, DATA / "dirty.csv", "--report", report)
    assert result.exit_code == 1, result.output
    assert "created 2, updated 0, unchanged 1, rejected 6" in result.output
    raw = report.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    found = {(r["row"], r["column"]): (r["value"], r["reason"]) for r in rows}
    assert "lost digits" in found[("4", "手机")][1]
    assert found[("5", "身份证号码")] == ("1101**********0021", "check digit does not match (GB 11643)")
    assert "'下雨天'" in found[("6", "服务时间")][1]
    assert found[("7", "服务区域")][0] == "火星基地"
    assert ("8", "姓名") in found
    assert "row 2" in found[("10", "")][1]
    assert "110105194912310021" not in raw.decode("utf-8-sig")
    stored = {p[0]: p for p in people(app)}
    assert stored["D-02"][2] == "13800000002"  # 1.3800000002E+10 kept every digit
    assert stored["D-02"][4] == ["课业辅导", "儿童陪伴"] and stored["D-02"][5] == "渝中区"
    assert stored["D-01"][8] == [{"day": "sat", "start": "09:00", "end": "12:00"}]


def test_report_masks_id_numbers_under_any_header(runner, tmp_path):
    source, report = tmp_path / "ids.csv", tmp_path / "report.csv"
    source.write_text("姓名,证件号码,地址\n甲,110105194912310021,重庆市渝中区\n", encoding="utf-8")
    assert run(runner, source, "--report", report).exit_code == 1
    text = report.read_text("utf-8-sig")
    assert "1101**********0021" in text and "110105194912310021" not in text


def test_dry_run_writes_nothing(runner, app):
    result = run(runner, DATA / "people_gbk.csv", "--dry-run")
    assert result.exit_code == 0 and "dry run" in result.output and "created would be 3" in result.output
    assert people(app) == []


@pytest.mark.parametrize("args,message", [
    ([DATA / "missing.csv"], "no such file"),
    ([DATA / "binary.csv"], "binary"),
    ([DATA / "no_name.csv"], "no name column"),
    ([DATA / "people.xlsx", "--sheet", "nope"], "no sheet named"),
    ([DATA / "people_utf8.csv", "--station", "99"], "no such station"),
    ([DATA / "people_utf8.csv", "--jobs", "0"], "give a number from 1 to 64, or auto"),
    ([DATA / "people_utf8.csv", "--jobs", "many"], "give a number from 1 to 64, or auto"),
])
def test_unreadable_is_exit_2_with_one_line(runner, args, message):
    result = run(runner, *args)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_mapping_file_and_station_option(runner, app, station):
    result = run(runner, DATA / "mapped.csv", "--mapping", DATA / "mapping.json", "--station", station["id"])
    assert result.exit_code == 0, result.output
    stored = people(app)
    assert stored[0][1:3] == ("周八", "13600136000") and stored[0][5] == "璧山区" and stored[0][11] == station["id"]


def test_duplicates_update_the_stored_person(runner, app, client, tmp_path):
    client.post("/api/v1/volunteers", json={"name": "旧名", "phone": "13900139000", "address": "重庆市渝中区"})
    client.post("/api/v1/volunteers", json={"name": "别人", "phone": "13700137000", "external_id": "OTHER",
                                            "address": "重庆市渝中区"})
    result = run(runner, DATA / "people_utf8.csv")
    # 李娜 matches the stored phone and updates that person; 王芳's phone belongs to someone whose
    # external id differs: a conflict, reported, not merged.
    assert "created 1, updated 1, unchanged 0, rejected 1" in result.output, result.output
    stored = {p[2]: p for p in people(app)}
    assert stored["13900139000"][1] == "李娜" and stored["13900139000"][0] == "CQ-0002"
    assert stored["13700137000"][1] == "别人"
    with app.app_context():
        actions = db.session.execute(select(AuditEntry.actor, AuditEntry.action)).all()
    assert ("import", "update") in actions and ("import", "create") in actions


def test_imported_people_are_matched_at_once(runner, client):
    station = client.post("/api/v1/stations", json={"name": "渝北区志愿服务站", "address": "重庆市渝北区"}).get_json()
    task = client.post("/api/v1/tasks", json={"station_id": station["id"], "title": "心理疏导", "skills": ["心理疏导"],
                                              "address": "重庆市渝北区", "starts_at": "2099-01-10T09:00",
                                              "ends_at": "2099-01-10T11:00"}).get_json()
    url = f"/api/v1/tasks/{task['id']}/matches"
    assert client.get(url).get_json()["results"] == []  # builds this process's index
    assert run(runner, DATA / "people_utf8.csv").exit_code == 0
    assert [r["name"] for r in client.get(url).get_json()["results"]] == ["张伟"]


@pytest.mark.parametrize("phrase,slots", [
    ("周末", [("sat", "08:00", "21:00"), ("sun", "08:00", "21:00")]),
    ("周六上午", [("sat", "08:00", "12:00")]),
    ("工作日晚上", [(d, "19:00", "21:30") for d in ("mon", "tue", "wed", "thu", "fri")]),
    ("每周三下午", [("wed", "14:00", "18:00")]),
    ("节假日", [("sat", "08:00", "21:00"), ("sun", "08:00", "21:00")]),
    ("全天", [(d, "08:00", "21:00") for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]),
    ("Sat 9-12", [("sat", "09:00", "12:00")]),
    ("周一至周三 19:00-21:00", [(d, "19:00", "21:00") for d in ("mon", "tue", "wed")]),
    ("周二 9点-11点半", [("tue", "09:00", "11:30")]),
    ("周六上午、下午", [("sat", "08:00", "12:00"), ("sat", "14:00", "18:00")]),
    ("weekday evenings", [(d, "19:00", "21:30") for d in ("mon", "tue", "wed", "thu", "fri")]),
])
def test_availability_phrases(phrase, slots):
    assert [(s["day"], s["start"], s["end"]) for s in parse_availability(phrase)] == slots


@pytest.mark.parametrize("phrase", ["随时", "下雨天", "周六 12-9", "看情况"])
def test_unreadable_availability_is_refused_quoting_it(phrase):
    with pytest.raises(ValueError, match="cannot read"):
        parse_availability(phrase)


@pytest.mark.parametrize("text,expected", [("13800138000.0", "13800138000"), ("1.3800138E+10", None),
                                            ("1.3800138000E+10", "13800138000"), ("138 0013 8000", "138 0013 8000")])
def test_phone_float_forms(text, expected):
    if expected is None:
        with pytest.raises(ValueError, match="lost digits"):
            phone_text(text)
    else:
        assert phone_text(text) == expected


def test_headers_and_lists():
    columns, unknown = map_headers(["姓名", " 手机号（必填） ", "Phone Number", "ＩＤ Ｃａｒｄ", "星座"])
    assert columns == {0: "name", 1: "phone", 3: "id_number"} and unknown == ["Phone Number", "星座"]
    assert split_list("心理疏导、法律援助，手语;手语 急救") == ["心理疏导", "法律援助", "手语", "急救"]


def _big_file(path, rows):
    """A generated CSV with `rows` valid people."""
    with open(path, "w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "手机号", "志愿者编号", "特长", "服务区域", "服务时间"])
        for i in range(rows):
            writer.writerow([f"志愿者{i}", f"139{i:08d}", f"BIG-{i:06d}", "心理疏导、手语", "重庆市渝中区", "周末"])


def _processes_running(argument):
    """Whether any process has `argument` on its command line (Linux /proc)."""
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and argument.encode() in (entry / "cmdline").read_bytes().split(b"\0"):
                return True
        except OSError:
            continue
    return False


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_interrupted_import_then_rerun_equals_a_clean_run(tmp_path, database_url, app, jobs):
    """Kill an import part-way, rerun it: the database ends as after one uninterrupted run."""
    path = tmp_path / "big.csv"
    _big_file(path, 30000)
    env = {**os.environ, "DATABASE_URL": database_url, "VOLMATCH_ENV": "testing"}
    cmd = [sys.executable, "scripts/import_volunteers.py", str(path), "--jobs", jobs]
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.scalar(select(db.func.count()).select_from(Volunteer)) >= 4000:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _processes_running(str(path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _processes_running(str(path))  # the workers of a killed import end too
    with app.app_context():
        partial = db.session.scalar(select(db.func.count()).select_from(Volunteer))
    assert 0 < partial < 30000 and partial % BATCH_ROWS == 0  # whole batches only
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"unchanged {partial}," in done.stdout and f"created {30000 - partial}," in done.stdout
    after_rerun = people(app)
    again = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert "created 0, updated 0, unchanged 30000" in again.stdout
    assert people(app) == after_rerun and len(after_rerun) == 30000
    assert [p[12] for p in after_rerun] == [f"VM{i:08d}" for i in range(1, 30001)]


def test_reimport_after_an_api_edit_brings_the_file_back(runner, app, client):
    assert run(runner, DATA / "people_gbk.csv").exit_code == 0
    zhang = next(p for p in client.get("/api/v1/volunteers").get_json() if p["external_id"] == "CQ-0001")
    client.patch(f"/api/v1/volunteers/{zhang['id']}", json={"skills": ["书法"]})
    result = run(runner, DATA / "people_gbk.csv")
    assert "created 0, updated 1, unchanged 2, rejected 0" in result.output, result.output
    assert client.get(f"/api/v1/volunteers/{zhang['id']}").get_json()["skills"] == ["心理疏导", "法律咨询"]
    assert "created 0, updated 0, unchanged 3" in run(runner, DATA / "people_gbk.csv").output


def test_reimport_with_a_person_twice_in_the_file(runner, app, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("姓名,手机,服务区域\n张三,13800000001,重庆市渝北区\n李四,13800000002,重庆市渝北区\n", encoding="utf-8")
    assert "created 2" in run(runner, first).output
    # 张三 as imported (the fast path), again with the phone written another way (same data), and
    # 李四 twice: as imported, then with another district (a conflict, reported).
    again = tmp_path / "again.csv"
    again.write_text("姓名,手机,服务区域\n张三,13800000001,重庆市渝北区\n张三,+86 138-0000-0001,重庆市渝北区\n"
                     "李四,13800000002,重庆市渝北区\n李四,13800000002,重庆市江北区\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    result = run(runner, again, "--report", report)
    assert "created 0, updated 0, unchanged 3, rejected 1" in result.output, result.output
    assert "same person as row 4 but with different data" in report.read_text(encoding="utf-8-sig")


def _messy_rows(count, seed):
    """Rows of every kind an import meets, in a random order: new people, people stored before
    (same data, or changed), duplicates within the file (same data, or conflicting), bad cells,
    and keys that belong to two different people."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        kind = rng.choice(["new", "new", "new", "same", "changed", "twice", "conflict", "bad", "clash"])
        n = rng.randrange(1500) if kind in ("same", "changed") else 2000 + i
        row = [f"志愿者{n}", f"139{n:08d}", f"BIG-{n:06d}", "心理疏导、手语", "重庆市渝中区", "周末"]
        if kind == "changed":
            row[3] = rng.choice(["急救", "法律援助、手语"])
        elif kind == "bad":
            row[rng.choice([1, 4, 5])] = rng.choice(["1.38001E+10", "某某小区", "看情况"])
        elif kind == "clash":  # another stored person's phone under this number
            row[1] = f"139{rng.randrange(1500):08d}"
        rows.append(row)
        if kind in ("twice", "conflict"):
            again = list(row)
            if kind == "conflict":
                again[5] = "工作日晚上"
            rows.insert(rng.randrange(len(rows) + 1), again)
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_workers_give_the_same_result_as_one_process(runner, app, tmp_path, kind, empty_database):
    """The same messy file imported with and without worker processes: same people, report, summary."""
    stored = tmp_path / "stored.csv"
    _big_file(stored, 1500)
    messy = tmp_path / f"messy.{kind}"
    header = ["姓名", "手机号", "志愿者编号", "特长", "服务区域", "服务时间"]
    rows = _messy_rows(3500, seed=5)  # several chunks of CHUNK_ROWS
    if kind == "csv":
        with open(messy, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *rows])
    else:  # Excel cells as openpyxl gives them back: phone numbers as numbers
        book = Workbook(write_only=True)
        sheet = book.create_sheet("志愿者")
        for row in [header, *rows]:
            sheet.append([int(c) if c.isdigit() else c for c in row])
        book.save(messy)
    outcomes = []
    for jobs in ("1", "2"):
        empty_database()
        assert run(runner, stored).exit_code == 0
        report = tmp_path / f"report-{jobs}.csv"
        result = run(runner, messy, "--jobs", jobs, "--report", report)
        assert result.exit_code == 1, result.output
        summary = next(line for line in result.output.splitlines() if "created" in line)
        outcomes.append((summary, report.read_text(encoding="utf-8-sig"), people(app)))
    assert outcomes[1] == outcomes[0]
    summary, report, _ = outcomes[0]
    for word in ("created", "updated", "unchanged", "rejected"):
        assert f"{word} 0" not in summary and f"{word} would" not in summary  # every kind of outcome happened
    assert "same person as row" in report and "belongs to a stored person with another external_id" in report


@pytest.mark.slow
def test_a_worker_that_dies_stops_the_import_with_a_clear_error(runner, app, tmp_path, monkeypatch):
    """A worker killed part-way (say, out of memory) ends the import with exit 3, not a hang; a rerun finishes it."""
    from web.services.imports import importer as service

    path = tmp_path / "big.csv"
    _big_file(path, 6000)
    prepare, parent = service._Importer.prepare, os.getpid()

    def dies_in_a_worker(self, values):
        if os.getpid() != parent and values[2] == "BIG-004500":
            os._exit(9)
        return prepare(self, values)

    monkeypatch.setattr(service._Importer, "prepare", dies_in_a_worker)
    result = run(runner, path, "--jobs", "2")
    assert result.exit_code == 3, result.output
    assert "a worker process ended unexpectedly" in result.output
    monkeypatch.setattr(service._Importer, "prepare", prepare)
    written = len(people(app))
    assert written % BATCH_ROWS == 0 and written < 6000  # whole batches only
    again = run(runner, path, "--jobs", "2")
    assert again.exit_code == 0 and f"unchanged {written}," in again.output and len(people(app)) == 6000
