"""The service-record certificate (志愿服务记录证明) over HTTP: a PDF read back with pypdf, who may have it,
what it lists and leaves out, the masked ID number, the audit entry."""
import dataclasses
import datetime as dt
import io
import time
import zoneinfo

import pytest
from pypdf import PdfReader

from web.common.certificate_pdf import Certificate, Service, render

from .conftest import bearer, post_past_task

VALID_ID = "11010519491231002X"  # the worked example of GB 11643
MASKED_ID = "1101**********002X"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def url(person, **query):
    tail = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/volunteers/{person['id']}/certificate" + (f"?{tail}" if tail else "")


def pdf_text(data):
    """Every page's text, as a PDF reader extracts it."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def today_text():
    today = dt.datetime.now(SHANGHAI).date()
    return f"{today.year}年{today.month}月{today.day}日"


@pytest.fixture
def other_station(client):
    response = client.post("/api/v1/stations", json={
        "name": "石坪桥社工站", "kind": "community", "location": {"lat": 29.5100, "lon": 106.4900}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def sign_up(anon):
    def make(name="张伟", phone="13800138000", **extra):
        body = {"name": name, "phone": phone, "location": {"lat": 29.594, "lon": 106.529}, **extra}
        response = anon.post("/api/v1/volunteers", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return make


@pytest.fixture
def serve(client, anon):
    """serve(person, station, window, title, hours, review=None|'confirmed'|'rejected', by_station=True):
    a task at the station the person was invited to, accepted and completed (the station's hours are
    verified; the person's own wait for `review`). Returns the service record."""
    def make(person, station, window, title, hours, by_station=True, review=None):
        task = post_past_task(client, {"station_id": station["id"], "title": title,
                                       "starts_at": window[0], "ends_at": window[1]})
        asg = client.post(f"/api/v1/tasks/{task['id']}/assignments", json={"volunteer_id": person["id"]})
        assert asg.status_code == 201, asg.get_json()
        path = f"/api/v1/assignments/{asg.get_json()['id']}"
        assert client.patch(path, json={"status": "accepted"}).status_code == 200
        who = client if by_station else anon
        kwargs = {} if by_station else {"environ_overrides": bearer(person["token"])}
        done = who.patch(path, json={"status": "completed", "hours": hours}, **kwargs)
        assert done.status_code == 200, done.get_json()
        record = done.get_json()["record"]
        if review is not None:
            reviewed = client.patch(f"/api/v1/service-records/{record['id']}", json={"status": review})
            assert reviewed.status_code == 200, reviewed.get_json()
            record = reviewed.get_json()
        return record
    return make


@pytest.fixture
def served(client, sign_up, serve, station, other_station):
    """张伟, a member of 龙溪 (staff confirmed her request to join), with her ID number on file, who served:
    verified at 龙溪 just after midnight Beijing time (the day before in UTC), self-reported at 石坪桥 and
    confirmed, self-reported and still pending, and self-reported and rejected."""
    person = sign_up(id_number=VALID_ID, requested_station_id=station["id"])
    joined = client.patch(f"/api/v1/volunteers/{person['id']}", json={"station_id": station["id"]})
    assert joined.status_code == 200, joined.get_json()
    serve(person, station, ("2026-01-10T00:30", "2026-01-10T03:30"), "助老送餐", 3)
    serve(person, other_station, ("2026-01-17T09:00", "2026-01-17T12:00"), "课业辅导", 2.5,
          by_station=False, review="confirmed")
    serve(person, station, ("2026-01-24T09:00", "2026-01-24T12:00"), "入户探访", 1.5, by_station=False)
    serve(person, station, ("2026-01-31T09:00", "2026-01-31T12:00"), "义诊咨询", 2,
          by_station=False, review="rejected")
    return person


# --- what it says --------------------------------------------------------------------------------

def test_the_person_gets_a_chinese_pdf_of_their_confirmed_services(anon, served):
    response = anon.get(url(served), environ_overrides=bearer(served["token"]))
    assert response.status_code == 200, response.get_data()[:300]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="certificate-{served["id"]}.pdf"'
    data = response.get_data()
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4, portrait
    assert reader.pages[0].mediabox.height == pytest.approx(841.89, abs=0.1)
    text = pdf_text(data)
    for expected in ("志愿服务记录证明", "张伟", served["volunteer_number"], MASKED_ID,
                     "2026年1月10日", "助老送餐", "龙溪街道社工站", "2026年1月17日", "课业辅导", "石坪桥社工站",
                     "经服务站确认的服务时长共计 5.5 小时", "出具单位：龙溪街道社工站", f"出具日期：{today_text()}",
                     "本证明由 volmatch 根据服务站确认的服务记录生成"):
        assert expected in text, expected
    lines = text.splitlines()
    assert "2026年1月10日 助老送餐 龙溪街道社工站 3" in lines  # the local date: 2026-01-09 16:30 UTC
    assert "2026年1月17日 课业辅导 石坪桥社工站 2.5" in lines
    assert "合计 5.5" in lines
    # Pending and rejected services are not on it.
    assert "入户探访" not in text and "义诊咨询" not in text and "1.5" not in text
    # The ID number only masked: neither in the text nor anywhere in the file.
    for secret in (VALID_ID, VALID_ID[4:14], "19491231"):
        assert secret not in text
        assert secret.encode() not in data
    assert VALID_ID.encode("utf-16-be") not in data


def test_english_labels(client, served):
    response = client.get(url(served, lang="en"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.get_data())
    lines = text.splitlines()
    for expected in ("Volunteer Service Record", "Name: 张伟", f"Volunteer No.: {served['volunteer_number']}",
                     f"ID No.: {MASKED_ID}", "Date Service Station Hours", "2026-01-10 助老送餐 龙溪街道社工站 3",
                     "Total 5.5", "Issued by: 龙溪街道社工站", "Generated by volmatch"):
        assert expected in text, expected
    assert "Total 5.5" in lines
    assert "志愿服务记录证明" not in text and "入户探访" not in text and VALID_ID not in text


def test_an_unknown_language_is_422(client, served):
    response = client.get(url(served, lang="fr"))
    assert response.status_code == 422 and "lang" in response.get_json()["errors"]


def test_issuer_is_the_latest_confirmed_services_station_for_a_non_member(client, sign_up, serve, station,
                                                                          other_station):
    person = sign_up()
    serve(person, station, ("2026-01-10T09:00", "2026-01-10T12:00"), "助老送餐", 3)
    serve(person, other_station, ("2026-01-17T09:00", "2026-01-17T12:00"), "课业辅导", 2)
    serve(person, station, ("2026-01-24T09:00", "2026-01-24T12:00"), "入户探访", 1, by_station=False)  # pending
    text = pdf_text(client.get(url(person)).get_data())
    assert "出具单位：石坪桥社工站" in text and "合计 5" in text.splitlines()
    assert "身份证号： —" in text  # none on file


def test_someone_who_has_not_served_gets_a_certificate_from_volmatch(anon, sign_up):
    person = sign_up()
    response = anon.get(url(person), environ_overrides=bearer(person["token"]))
    assert response.status_code == 200
    text = pdf_text(response.get_data())
    assert "出具单位：volmatch" in text and "（无已确认的服务记录）" in text and "合计 0" in text.splitlines()


# --- who may have it -----------------------------------------------------------------------------

@pytest.mark.parametrize("caller, expected", [
    ("self", 200), ("admin", 200),
    ("coordinator", 403),  # of the person's station: sees the person, but the certificate is theirs
    ("other_coordinator", 403),  # of a station the person served: sees the person too
    ("stranger_coordinator", 404),  # of a station that never asked the person: nobody there
    ("other_volunteer", 404), ("none", 401),
])
def test_who_may_have_it(anon, client, make_token, sign_up, served, station, other_station, caller, expected):
    third = client.post("/api/v1/stations", json={"name": "C", "location": {"lat": 29.56, "lon": 106.57}}).get_json()
    tokens = {
        "self": served["token"],
        "admin": make_token("admin"),
        "coordinator": make_token("coordinator", station_ids=[station["id"]]),
        "other_coordinator": make_token("coordinator", station_ids=[other_station["id"]]),
        "stranger_coordinator": make_token("coordinator", station_ids=[third["id"]]),
        "other_volunteer": sign_up(name="李娜", phone="13800138001")["token"],
        "none": None,
    }
    kwargs = {"environ_overrides": bearer(tokens[caller])} if tokens[caller] else {}
    response = anon.get(url(served), **kwargs)
    assert response.status_code == expected, response.get_data()[:300]
    if expected != 200:
        assert response.is_json and response.get_json()["code"] == expected


def test_a_missing_person_is_404(client):
    assert client.get("/api/v1/volunteers/424242/certificate").status_code == 404


def test_the_certificate_is_in_the_audit_log(anon, client, make_token, served, station):
    anon.get(url(served), environ_overrides=bearer(served["token"]))
    client.get(url(served, lang="en"))
    refused = anon.get(url(served), environ_overrides=bearer(make_token("coordinator", station_ids=[station["id"]])))
    assert refused.status_code == 403
    entries = client.get(f"/api/v1/audit?volunteer_id={served['id']}").get_json()
    issued = [(e["actor"].split("#")[0], e["fields"], e["path"]) for e in entries if e["action"] == "certificate"]
    assert sorted(issued) == [("admin", ["id_number"], f"/api/v1/volunteers/{served['id']}/certificate"),
                              ("volunteer", ["id_number"], f"/api/v1/volunteers/{served['id']}/certificate")]
    only = client.get(f"/api/v1/audit?volunteer_id={served['id']}&action=certificate")  # the log is filtered by it
    assert only.status_code == 200 and {e["action"] for e in only.get_json()} == {"certificate"}, only.get_json()
    assert len(only.get_json()) == 2


def test_openapi_documents_a_pdf(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/volunteers/{volunteer_id}/certificate"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"lang"}


# --- the drawing, on plain data -------------------------------------------------------------------

def _certificate(count, **changes):
    services = tuple(Service(dt.date(2025, 1, 1) + dt.timedelta(days=i), f"社区探访第{i}期（长者助餐与陪伴）",
                             "龙溪街道社工站" if i % 2 else "石坪桥社工站", 2.5) for i in range(count))
    return dataclasses.replace(Certificate("张伟", "VM00000001", MASKED_ID, services, round(2.5 * count, 2),
                                           "龙溪街道社工站", dt.date(2026, 3, 1)), **changes)


def test_many_services_run_over_pages_and_stay_small():
    started = time.perf_counter()
    data = render(_certificate(200))
    elapsed = time.perf_counter() - started
    reader = PdfReader(io.BytesIO(data))
    text = pdf_text(data)
    assert len(reader.pages) > 1
    assert all(f"社区探访第{i}期" in text for i in range(200))
    assert "合计 500" in text.splitlines()
    assert text.count("日期 服务项目 服务站 时长（小时）") >= len(reader.pages) - 1  # the headings repeat on every page
    assert f"第 {len(reader.pages)} 页，共 {len(reader.pages)} 页" in text
    assert len(data) < 150_000  # the fonts are subset: only the glyphs used
    assert elapsed < 10


def test_a_character_simhei_lacks_is_drawn_from_the_fallback_font():
    data = render(_certificate(2, name="𠮷野"))  # U+20BB7, CJK Extension B
    fonts = _font_names(data)
    assert any("SimHei" in f for f in fonts) and any("NotoSansCJK" in f for f in fonts)
    assert "野" in pdf_text(data)
    assert not any("NotoSansCJK" in f for f in _font_names(render(_certificate(2))))  # added only when needed


def _font_names(data):
    return {str(font.get_object()["/BaseFont"]) for font in PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"].values()}
