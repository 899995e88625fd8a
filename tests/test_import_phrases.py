"""Availability phrases and skill lists as real exports type them (issue 14): full-width digits, every
kind of dash, 上午/下午/晚上 with hours, day ranges, several phrases in a cell; each read exactly or
refused quoting what could not be read; skill lists split on list marks, never inside 'first aid'."""
import csv

import pytest

from web.services.imports.cells import parse_availability, split_list

from .test_imports import people, run

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = WEEK[:5]


def slots(text):
    return [(s["day"], s["start"], s["end"]) for s in parse_availability(text)]


# Failed before the fix: the part of the day was read as its generic slot (下午 14:00-18:00) and the hours
# beside it as early-morning ones (2点-5点 as 02:00-05:00), both stored.
@pytest.mark.parametrize("phrase,expected", [
    ("下午2点-5点", [(d, "14:00", "17:00") for d in WEEK]),
    ("周六下午2:00-5:00", [("sat", "14:00", "17:00")]),
    ("晚上7点到9点", [(d, "19:00", "21:00") for d in WEEK]),
])
def test_a_part_of_the_day_with_hours_is_one_slot_in_that_part(phrase, expected):
    assert slots(phrase) == expected


@pytest.mark.parametrize("phrase,expected", [
    # full-width digits and colons
    ("周六 ０９：００-１２：００", [("sat", "09:00", "12:00")]),
    # dashes and tildes between the times
    ("周六 9:00—12:00", [("sat", "09:00", "12:00")]),
    ("周六 9:00–12:00", [("sat", "09:00", "12:00")]),
    ("周六 9:00——12:00", [("sat", "09:00", "12:00")]),
    ("周六 9:00〜12:00", [("sat", "09:00", "12:00")]),
    ("周六 9:00~12:00", [("sat", "09:00", "12:00")]),
    ("周六 9:00～12:00", [("sat", "09:00", "12:00")]),
    ("周六 9点至12点", [("sat", "09:00", "12:00")]),
    # 上午/下午/晚上 with hours
    ("周日晚上7:00-9:00", [("sun", "19:00", "21:00")]),
    ("周日上午9点-11点半", [("sun", "09:00", "11:30")]),
    ("周日上午10点到12点", [("sun", "10:00", "12:00")]),
    ("周日晚上6点半到8点半", [("sun", "18:30", "20:30")]),
    ("周日晚上7点-12点", [("sun", "19:00", "24:00")]),
    ("周日下午 14:00-17:00", [("sun", "14:00", "17:00")]),
    ("周日上午9点到下午1点", [("sun", "09:00", "13:00")]),
    ("周日中午12点-2点", [("sun", "12:00", "14:00")]),
    ("周日9点到下午5点", [("sun", "09:00", "17:00")]),
    ("周日下午2点30分-4点", [("sun", "14:30", "16:00")]),
    # day ranges with 到, 至 or a dash; single days; named groups of days
    ("周二到周四", [(d, "08:00", "21:00") for d in ("tue", "wed", "thu")]),
    ("周一至周五", [(d, "08:00", "21:00") for d in WEEKDAYS]),
    ("周一-周五", [(d, "08:00", "21:00") for d in WEEKDAYS]),
    ("周一—周五晚上", [(d, "19:00", "21:30") for d in WEEKDAYS]),
    ("星期一到五 19:00-21:00", [(d, "19:00", "21:00") for d in WEEKDAYS]),
    ("周五至周一 9:00-12:00", [(d, "09:00", "12:00") for d in ("mon", "fri", "sat", "sun")]),
    ("星期六", [("sat", "08:00", "21:00")]),
    ("礼拜天", [("sun", "08:00", "21:00")]),
    ("周末", [("sat", "08:00", "21:00"), ("sun", "08:00", "21:00")]),
    ("每周末上午", [("sat", "08:00", "12:00"), ("sun", "08:00", "12:00")]),
    ("工作日", [(d, "08:00", "21:00") for d in WEEKDAYS]),
    ("周一到周五每天晚上", [(d, "19:00", "21:30") for d in WEEKDAYS]),
    ("Mon–Fri 9:00-12:00", [(d, "09:00", "12:00") for d in WEEKDAYS]),
    # several phrases in one cell
    ("周六上午；周日下午2点-5点", [("sat", "08:00", "12:00"), ("sun", "14:00", "17:00")]),
    ("周六上午;周日晚上", [("sat", "08:00", "12:00"), ("sun", "19:00", "21:30")]),
    ("周六上午，周日下午", [("sat", "08:00", "12:00"), ("sun", "14:00", "18:00")]),
    ("周六上午,周日下午", [("sat", "08:00", "12:00"), ("sun", "14:00", "18:00")]),
    ("周六上午/周日下午", [("sat", "08:00", "12:00"), ("sun", "14:00", "18:00")]),
    ("周六上午\n周日下午", [("sat", "08:00", "12:00"), ("sun", "14:00", "18:00")]),
    ("周六上午周日下午", [("sat", "08:00", "12:00"), ("sun", "14:00", "18:00")]),
    ("周六周日上午", [("sat", "08:00", "12:00"), ("sun", "08:00", "12:00")]),
    ("周六 9:00-12:00、14:00-17:00", [("sat", "09:00", "12:00"), ("sat", "14:00", "17:00")]),
    ("周一至周五，晚上7点到9点", [(d, "19:00", "21:00") for d in WEEKDAYS]),
    ("周六\n周日上午", [("sat", "08:00", "21:00"), ("sun", "08:00", "12:00")]),  # a line break ends a phrase
    ("周六、\n周日上午", [("sat", "08:00", "21:00"), ("sun", "08:00", "12:00")]),
    ("周末；工作日晚上", [("sat", "08:00", "21:00"), ("sun", "08:00", "21:00")] + [(d, "19:00", "21:30") for d in WEEKDAYS]),
    ("9-12 Sat", [("sat", "09:00", "12:00")]),
])
def test_time_forms(phrase, expected):
    assert slots(phrase) == expected


@pytest.mark.parametrize("phrase,message", [
    # hours with no part of the day that can only be afternoon hours on a 12-hour clock: never 02:00-05:00
    ("周六2点-5点", "cannot read the time '2点-5点' in '周六2点-5点': it could be morning or afternoon: "
                  "put 上午 or 下午 before it, or write 24-hour times (14:00-17:00)"),
    ("下午、2点-5点", "cannot read the time '2点-5点': it could be morning or afternoon: "
                    "put 上午 or 下午 before it, or write 24-hour times (14:00-17:00)"),
    ("晚上1点-3点", "cannot read the time '晚上1点-3点': 1 is not an hour of 晚上"),
    ("上午11点-1点", "cannot read the time '上午11点-1点': it does not end after it starts (a slot cannot pass midnight)"),
    ("周六 25:00-26:00", "cannot read the time '25:00-26:00' in '周六 25:00-26:00': 25 is not an hour of the day"),
    ("晚上7点-凌晨1点", "cannot read the time '晚上7点-凌晨1点': it does not end after it starts (a slot cannot pass midnight)"),
    # something that is not a day or a time, quoted; the rest of the cell is not kept
    ("周六上午；周日下雨天", "cannot read '周日下雨天' as days and times: '下雨天' is not a day or a time"),
    ("周六上午9点", "cannot read '周六上午9点' as days and times: '9点' is not a day or a time"),
    ("2pm-5pm", "cannot read '2pm-5pm' as days and times"),
    # a day listed before a day with times: all day, or the same times? Not guessed.
    ("周一、周三晚上", "cannot tell whether '周一' is all day or shares the times of '周三晚上': "
                     "name its times (周一全天 for all day)"),
    ("上午周六下午周日", "cannot read '上午周六下午周日' as days and times: put each day before its times"),
])
def test_unreadable_time_forms_are_refused_quoting_the_part(phrase, message):
    with pytest.raises(ValueError) as refused:
        parse_availability(phrase)
    assert str(refused.value) == message


@pytest.mark.parametrize("text,expected", [
    ("first aid, English tutoring", ["first aid", "English tutoring"]),
    ("first aid", ["first aid"]),
    ("first  aid", ["first aid"]),
    ("心理疏导、法律援助，手语", ["心理疏导", "法律援助", "手语"]),
    ("手语；急救;烹饪", ["手语", "急救", "烹饪"]),
    ("手语/急救｜烹饪|电工", ["手语", "急救", "烹饪", "电工"]),
    ("手语\n急救", ["手语", "急救"]),
    ("课业辅导 儿童陪伴", ["课业辅导", "儿童陪伴"]),
    ("急救 first aid", ["急救", "first aid"]),
    (" sign language , first aid ;急救", ["sign language", "first aid", "急救"]),
    ("手语和急救", ["手语和急救"]),  # 和 was never a separator: '和' can be inside a skill's name
    ("手语、手语", ["手语"]),
])
def test_skill_lists(text, expected):
    assert split_list(text) == expected


def test_an_import_reads_these_forms(runner, app, tmp_path):
    source, report = tmp_path / "export.csv", tmp_path / "report.csv"
    rows = [["姓名", "手机号", "志愿者编号", "服务区域", "技能", "服务时间"],
            ["甲", "13800000001", "P-1", "重庆市渝北区", "first aid, English tutoring", "周六下午2:00-5:00"],
            ["乙", "13800000002", "P-2", "重庆市渝北区", "手语、急救", "周六上午；周日下午2点-5点"],
            ["丙", "13800000003", "P-3", "重庆市渝北区", "心理疏导", "周二到周四 ０９：００—１２：００"],
            ["戊", "13800000005", "P-5", "重庆市渝北区", "电工", "周六2点-5点"],
            ["丁", "13800000004", "P-4", "重庆市渝北区", "烹饪", "工作日\n晚上7:00-9:00"]]
    with open(source, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = run(runner, source, "--report", report)
    assert result.exit_code == 1, result.output
    assert "created 4, updated 0, unchanged 0, rejected 1" in result.output
    stored = {p[0]: (p[4], [(s["day"], s["start"], s["end"]) for s in p[8]]) for p in people(app)}
    assert stored == {
        "P-1": (["first aid", "English tutoring"], [("sat", "14:00", "17:00")]),
        "P-2": (["手语", "急救"], [("sat", "08:00", "12:00"), ("sun", "14:00", "17:00")]),
        "P-3": (["心理疏导"], [(d, "09:00", "12:00") for d in ("tue", "wed", "thu")]),
        "P-4": (["烹饪"], [(d, "19:00", "21:00") for d in WEEKDAYS]),
    }
    (rejected,) = csv.DictReader(report.read_text(encoding="utf-8-sig").splitlines())
    assert (rejected["row"], rejected["column"], rejected["value"]) == ("5", "服务时间", "周六2点-5点")
    assert rejected["reason"].startswith("cannot read the time '2点-5点' in '周六2点-5点': it could be morning or afternoon")


def test_a_reimport_rereads_rows_an_older_cell_parser_stored(runner, app, tmp_path, monkeypatch):
    """Rows imported before the way cells are read changed are read again, and corrected, not skipped."""
    from web.extensions import db
    from web.models import Volunteer
    from web.services.imports import cells, importer

    source = tmp_path / "export.csv"
    source.write_text("姓名,手机号,志愿者编号,服务区域,服务时间\n甲,13800000001,P-1,重庆市渝北区,周六下午2:00-5:00\n",
                      encoding="utf-8")
    assert "created 1" in run(runner, source).output
    with app.app_context():  # what the old parser stored for 周六下午2:00-5:00
        person = db.session.scalars(db.select(Volunteer)).one()
        person.availability = [{"day": "sat", "start": "14:00", "end": "18:00"}, {"day": "sat", "start": "02:00", "end": "05:00"}]
        db.session.commit()
    assert "updated 0, unchanged 1" in run(runner, source).output  # the same parser: the row is as imported
    monkeypatch.setattr(importer, "CELLS_VERSION", cells.CELLS_VERSION + 1)
    assert "updated 1, unchanged 0" in run(runner, source).output
    with app.app_context():
        assert db.session.scalars(db.select(Volunteer)).one().availability == [
            {"day": "sat", "start": "14:00", "end": "17:00"}]
