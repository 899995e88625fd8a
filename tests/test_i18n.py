"""Every message a person reads follows their language: the catalogue is complete and current, and the
API's error paths, a plan's reasons and an import's report answer in Chinese when asked.

The rest of the suite walks the other error paths: tests/conftest.py fails any test in which the API
said a message that the Chinese catalogue does not translate.
"""
import io
import re
import string
import time
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import web.i18n
from web.common.text import Text, msg

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "web" / "translations" / "zh" / "LC_MESSAGES"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(text):
    return sorted((name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name is not None)


@pytest.fixture(scope="module")
def po():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        return read_po(handle)


def test_every_message_has_a_chinese_translation_with_the_same_fields(po):
    missing = [m.id for m in po if m.id and not m.string]
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    mismatched = [(m.id, m.string) for m in po if m.id and m.string and _fields(m.id) != _fields(m.string)]
    english = [(m.id, m.string) for m in po if m.id and m.string and not CJK.search(m.string)
               and re.search("[A-Za-z]", re.sub(r"\{[^}]*\}", "", m.id))]  # words left in English
    assert (missing, fuzzy, mismatched, english) == ([], [], [], [])


def test_the_catalogue_holds_every_message_of_the_source(po):
    """A new msg("...") without a catalogue entry fails here (run the pybabel commands in web/i18n.py)."""
    method_map = [("web/**.py", "python"), ("matcher/**.py", "python")]
    found = {message for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, keywords={"msg": None, "N_": None})
             if isinstance(message, str)}
    assert found, "pybabel found no messages: the extraction itself is broken"
    catalogued = {m.id for m in po if m.id}
    assert sorted(found - catalogued) == []


def test_the_compiled_catalogue_is_the_text_one(po):
    with open(CATALOGUE / "messages.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == {m.id: m.string for m in po if m.id and m.string}


def test_marshmallows_own_messages_are_catalogued(po):
    catalogued = {m.id for m in po if m.id}
    assert sorted(web.i18n.marshmallow_messages() - catalogued) == []


def test_a_message_remembers_its_template_through_formatting_and_pickling():
    import pickle

    text = msg("Must be {min_op} {{min}}.", min_op=msg("greater than or equal to")).format(min=1)
    assert text == "Must be greater than or equal to 1."
    again = pickle.loads(pickle.dumps(text))  # rows prepared in worker processes come back pickled
    assert isinstance(again, Text) and (again.template, again.steps) == (text.template, text.steps)


# ---------------------------------------------------------------- the API in Chinese


def _all_text(body):
    out = [body["message"]]

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            out.append(node)

    walk(body.get("errors") or {})
    return out


ENGLISH_WORDS = re.compile(r"\b(?:must|not|field|invalid|missing|no|is|the|of|with|than|equal|valid|length|request)\b", re.I)


def _chinese(body):
    """Every text of an error body is Chinese (technical names such as station_id may stay)."""
    texts = _all_text(body)
    assert all(CJK.search(t) for t in texts), texts
    assert not any(ENGLISH_WORDS.search(t) for t in texts), texts


@pytest.mark.parametrize("method, path, body, status", [
    ("POST", "/api/v1/tasks", {"foo": 1}, 422),  # unknown field and missing required fields
    ("POST", "/api/v1/tasks", {"station_id": 1, "title": "", "starts_at": "tomorrow", "ends_at": "x",
                               "headcount": 0}, 422),  # too short, not a datetime, below a minimum
    ("POST", "/api/v1/tasks", {"station_id": 999, "title": "探访", "starts_at": "2099-01-10T09:00",
                               "ends_at": "2099-01-10T08:00"}, 422),  # our own rules: no such station, end before start
    ("GET", "/api/v1/tasks/424242", None, 404),
    ("GET", "/api/v1/no-such-thing", None, 404),
    ("DELETE", "/api/v1/stations", None, 405),
    ("PATCH", "/api/v1/tasks/1", None, 422),  # no body
    ("POST", "/api/v1/volunteers", {"name": "张三", "phone": "12345", "role": "pilot"}, 422),
])
def test_error_answers_are_chinese_when_asked(client, station, method, path, body, status):
    answer = client.open(path, method=method, json=body, headers=ZH)
    assert answer.status_code == status, answer.get_json()
    _chinese(answer.get_json())


def test_field_names_stay_machine_readable_and_english_is_unchanged(client, station):
    body = {"station_id": station["id"], "title": "探访", "headcount": 0}
    zh = client.post("/api/v1/tasks", json=body, headers=ZH).get_json()
    en = client.post("/api/v1/tasks", json=body).get_json()
    assert set(zh["errors"]) == set(en["errors"]) >= {"starts_at", "ends_at", "headcount"}
    assert en["errors"]["starts_at"] == ["Missing data for required field."]
    assert en["errors"]["headcount"] == ["Must be greater than or equal to 1 and less than or equal to 1000."]
    assert CJK.search(zh["errors"]["headcount"][0])
    assert "1000" in zh["errors"]["headcount"][0]  # the values put into the message survive translation


def test_anonymous_and_domain_refusals_are_chinese(anon, client, station, make_token):
    _chinese(anon.get("/api/v1/volunteers", headers=ZH).get_json())  # 401
    coordinator = make_token("coordinator", station_ids=[station["id"]])
    answer = client.post("/api/v1/stations", json={"name": "新站", "kind": "community", "location": {"lat": 29.6, "lon": 106.5}},
                         headers={**ZH, "Authorization": f"Bearer {coordinator}"})
    assert answer.status_code == 403, answer.get_json()
    _chinese(answer.get_json())


def test_a_plans_reasons_are_said_in_the_readers_language(client, station):
    task = client.post("/api/v1/tasks", json={"station_id": station["id"], "title": "手语翻译", "headcount": 3,
                                              "skills": ["手语"], "starts_at": "2099-01-10T09:00",
                                              "ends_at": "2099-01-10T12:00"}).get_json()
    answer = client.post(f"/api/v1/stations/{station['id']}/plans", json={"task_ids": [task["id"]]}, headers=ZH)
    assert answer.status_code == 201, answer.get_json()
    plan = answer.get_json()
    assert plan["status"] == "proposed", plan
    [unfilled] = plan["unfilled"]
    assert unfilled["task_title"] == "手语翻译" and CJK.search(unfilled["reason"]), unfilled
    english = client.get(f"/api/v1/plans/{plan['id']}").get_json()["unfilled"][0]["reason"]
    assert english.startswith("nobody passes the hard filters")


def test_an_imports_report_is_written_in_the_uploaders_language(client, station):
    rows = "姓名,手机号,人员类型,住址\n张三,12345,pilot,重庆市渝北区龙溪街道\n李四,13800138000,志愿者,重庆市渝北区龙溪街道\n"
    answer = client.post("/api/v1/imports", headers=ZH, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(rows.encode()), "名册.csv"), "station_id": str(station["id"])})
    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()
    deadline = time.monotonic() + 30
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(f"/api/v1/imports/{job['id']}").get_json()
    report = client.get(f"/api/v1/imports/{job['id']}/report.csv").get_data().decode("utf-8-sig")
    assert job["status"] == "done" and job["rejected"] == 1, (job, report)
    report = client.get(f"/api/v1/imports/{job['id']}/report.csv").get_data().decode("utf-8-sig").splitlines()
    header, *problems = report
    assert CJK.search(header) and "reason" not in header, header
    assert len(problems) == 2  # the phone and the role of 张三's row
    assert all(CJK.search(line.rsplit(",", 1)[-1]) for line in problems), problems


def test_a_comment_keeps_its_full_width_punctuation(client, station):
    """A person's sentences keep "，" and "：" as typed; other input is still NFKC-normalised."""
    from marshmallow import fields

    from web.common.schemas import BaseSchema, Prose

    class Sample(BaseSchema):
        comment = Prose()
        phone = fields.String()

    loaded = Sample().load({"comment": " 耐心细致，准时到场：好评 ", "phone": "１３８００１３８０００"})
    assert loaded == {"comment": "耐心细致，准时到场：好评", "phone": "13800138000"}


def test_match_reasons_follow_the_readers_language(client, station):
    """An English task's reasons are English by default, Chinese for a reader who asks for Chinese."""
    person = {"name": "王芳", "phone": "13800138001", "skills": ["nursing"], "station_id": station["id"],
              "location": {"lat": 29.5935, "lon": 106.5289},
              "availability": [{"day": "sat", "start": "08:00", "end": "18:00"}]}
    assert client.post("/api/v1/volunteers", json=person).status_code == 201
    body = {"location": {"lat": 29.60, "lon": 106.53}, "skills": ["nursing"], "starts_at": "2099-01-10T09:00",
            "ends_at": "2099-01-10T12:00", "limit": 1}
    english = client.post("/api/v1/matches", json=body).get_json()["results"][0]["reasons"]
    chinese = client.post("/api/v1/matches", json=body, headers=ZH).get_json()["results"][0]["reasons"]
    assert english[0] == "has nursing" and "km away" in english[1], english
    assert chinese[0] == "有护理" and not any(ENGLISH_WORDS.search(r) for r in chinese), chinese


def test_a_wildcard_language_is_no_preference(client):
    """Many HTTP clients send `Accept-Language: *`: they get English, as with no header."""
    for header in ("*", "*, zh;q=0.1x", "fr"):
        body = client.get("/api/v1/tasks/424242", headers={"Accept-Language": header}).get_json()
        assert body["message"] == "no task with id 424242", (header, body)
    body = client.get("/api/v1/tasks/424242", headers={"Accept-Language": "fr, zh;q=0.5, *;q=0.1"}).get_json()
    assert CJK.search(body["message"]), body


def test_a_translation_that_does_not_fit_its_values_falls_back_to_english(app):
    """A catalogue entry whose fields do not fit what was put in (a format spec for a number given text)
    is said in English rather than failing the answer."""
    text = msg("is {km:.1f} km from station {nearest_id} ({nearest_name}), outside its {area_km:g} km service area",
               km=1.25, nearest_id=3, nearest_name="龙溪", area_km=2)
    broken = Text.__new__(Text, str(text))
    broken.template, broken.steps = text.template, ({"km": "far", "nearest_id": 3, "nearest_name": "龙溪", "area_km": 2},)
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert CJK.search(web.i18n.say(text)) and "1.2" in web.i18n.say(text)
        assert web.i18n.say(broken) == str(text)
