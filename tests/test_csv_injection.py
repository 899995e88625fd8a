"""CSV injection: no cell the service writes may start a spreadsheet formula (OWASP: prefix a single quote)."""
import csv
import io

import pytest

from web.common.spreadsheet import FORMULA_STARTS, safe_cell, safe_dict, safe_row

from .conftest import post_past_task

HYPERLINK = '=HYPERLINK("http://x","y")'


def read_csv(text):
    """The rows of a CSV text that starts with a BOM."""
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- the helpers ------------------------------------------------------------------------------

@pytest.mark.parametrize("start", FORMULA_STARTS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_formula_start_is_quoted(start):
    assert safe_cell(start + "SUM(1)") == "'" + start + "SUM(1)"
    assert safe_cell(start) == "'" + start


def test_the_rule_covers_exactly_owasps_characters():
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def test_a_negative_number_string_is_quoted_but_a_number_is_not():
    assert safe_cell("-3") == "'-3"  # OWASP's rule: any string starting with -
    assert safe_cell(-3.5) == -3.5 and safe_cell(-3) == -3


@pytest.mark.parametrize("value", ["张伟", "13800138000", "", "a=b", "1+1", "'=already quoted", "渝北区"])
def test_harmless_strings_unchanged(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [None, 0, 2, 2.5, -1, -3.5, True])
def test_non_strings_unchanged(value):
    assert safe_cell(value) is value


def test_rows_and_dicts_through_the_csv_writers():
    out = io.StringIO()
    csv.writer(out).writerow(safe_row([HYPERLINK, "@SUM(1)", -3.5, None, "张伟"]))
    writer = csv.DictWriter(out, fieldnames=["district", "people", "ratio"])
    writer.writerow(safe_dict({"district": "=1+2", "people": 3, "ratio": None}))
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'" + HYPERLINK, "'@SUM(1)", "-3.5", "", "张伟"],
        ["'=1+2", "3", ""],
    ]


# --- attacks through the service ---------------------------------------------------------------

def test_service_record_csv_quotes_formula_name_and_task(client, station):
    person = client.post("/api/v1/volunteers", json={
        "name": HYPERLINK, "phone": "13800138000", "address": "重庆市渝北区",
        "max_distance_km": 50,  # the district's centre is about 30 km from the station
        "availability": [{"day": "sat", "start": "08:00", "end": "18:00"}],
    })
    assert person.status_code == 201, person.get_json()
    person = person.get_json()
    task = post_past_task(client, {
        "station_id": station["id"], "title": "@SUM(1) 探访", "headcount": 1,
        "starts_at": "2026-01-10T09:00", "ends_at": "2026-01-10T12:00",  # a Saturday that has passed
    })
    invited = client.post(f"/api/v1/tasks/{task['id']}/assignments", json={"volunteer_id": person["id"]})
    assert invited.status_code == 201, invited.get_json()
    url = f"/api/v1/assignments/{invited.get_json()['id']}"
    assert client.patch(url, json={"status": "accepted"}).status_code == 200
    done = client.patch(url, json={"status": "completed", "hours": 2})
    assert done.status_code == 200, done.get_json()

    response = client.get(f"/api/v1/volunteers/{person['id']}/service-records.csv")
    assert response.status_code == 200
    header, record, total = read_csv(response.get_data(as_text=True))
    assert record[header.index("姓名 name")] == "'" + HYPERLINK
    assert record[header.index("任务 task")] == "'@SUM(1) 探访"
    assert total[header.index("姓名 name")] == "'" + HYPERLINK
    assert record[header.index("时长 hours")] == "2"


def test_import_report_quotes_rejected_formula_values(runner, tmp_path):
    path, report = tmp_path / "people.csv", tmp_path / "report.csv"
    path.write_text("姓名,手机号,地址\n"
                    "=cmd|' /C calc'!A0,12345,重庆市渝北区\n"  # bad phone: only 12345 lands in the report
                    "+SUM(1),13800138000,@foo\n"  # an address no one can place
                    "王芳,=cmd|' /C calc'!A0,重庆市渝北区\n"
                    "李娜,+1 415 555 0100,重庆市渝北区\n", encoding="utf-8")
    result = runner.invoke(args=["import-volunteers", str(path), "--report", str(report)])
    assert "rejected 4" in result.output, result.output
    header, *rows = read_csv(report.read_text(encoding="utf-8"))
    assert header == ["row", "column", "value", "reason"]
    assert [(r[1], r[2]) for r in rows] == [
        ("手机号", "12345"),
        ("地址", "'@foo"),
        ("手机号", "'=cmd|' /C calc'!A0"),
        ("手机号", "'+1 415 555 0100"),
    ]


def test_coverage_csv_quotes_a_formula_district(client, runner, tmp_path):
    created = client.post("/api/v1/volunteers", json={
        "name": "张伟", "phone": "13800138000", "skills": ["心理疏导"],
        "location": {"lat": 29.5935, "lon": 106.5289}, "district": "=1+2",
    })
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["district"] == "=1+2"  # the admin API takes a district as given
    out = tmp_path / "coverage.csv"
    result = runner.invoke(args=["report", "coverage", "--out", str(out)])
    assert result.exit_code == 0, result.output
    header, *rows = read_csv(out.read_text(encoding="utf-8"))
    assert header == ["district", "category", "people", "demand", "gap", "ratio"]
    assert [r[0] for r in rows] == ["'=1+2"]
    assert rows[0][2:] == ["1", "0", "0", ""]
