"""Imports of uploaded files over HTTP: background job, progress, the row-numbered report."""
import csv
import io
import time
from pathlib import Path

import pytest

from .conftest import bearer

DATA = Path(__file__).parent / "data" / "import"


def upload(client, name, data=None, expect=202, **form):
    body = {"file": (io.BytesIO(data if data is not None else (DATA / name).read_bytes()), name),
            **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in form.items()}}
    response = client.post("/api/v1/imports", data=body, content_type="multipart/form-data")
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def finished(client, job, timeout=30):
    """Poll the job until it is done or failed; return the last answer and every status seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/imports/{job['id']}").get_json()
        seen.append(body["status"])
        if body["status"] in ("done", "failed"):
            return body, seen
        time.sleep(0.05)
    raise AssertionError(f"import still {seen[-1]} after {timeout} s")


def test_upload_imports_in_the_background_with_a_report(client, station):
    job = upload(client, "dirty.csv", station_id=station["id"])
    assert job["status"] in ("queued", "running", "done") and job["rows_estimated"] == 9
    body, _ = finished(client, job)
    assert (body["status"], body["rows_read"], body["created"], body["unchanged"], body["rejected"]) == ("done", 9, 2, 1, 6)
    report = client.get(f"/api/v1/imports/{job['id']}/report.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    rows = list(csv.DictReader(report.get_data().decode("utf-8-sig").splitlines()))
    assert {r["row"] for r in rows} >= {"4", "5", "6", "7", "8", "10"}
    assert "110105194912310021" not in report.get_data().decode("utf-8-sig")
    people = client.get(f"/api/v1/volunteers?station_id={station['id']}").get_json()
    assert {p["external_id"] for p in people} >= {"D-01", "D-02"}


BIG = "\n".join(["姓名,手机,特长,服务区域"] + [f"志愿者{i},139{i:08d},心理疏导,重庆市渝北区" for i in range(1800)])


def test_the_import_reports_progress_as_it_goes(app, tmp_path):
    from web.services.imports.importer import import_volunteers

    path = tmp_path / "big.csv"
    path.write_text(BIG, encoding="utf-8")
    seen = []
    with app.app_context():
        summary = import_volunteers(str(path), progress=False, on_progress=lambda s: seen.append((s.read, s.created)))
    assert [read for read, _ in seen] == [500, 1000, 1500, 1800]
    assert seen[-1] == (1800, 1800) and summary.created == 1800


def test_a_large_upload_ends_with_every_count(client):
    job = upload(client, "big.csv", data=BIG.encode("utf-8"))
    body, seen = finished(client, job, timeout=120)
    assert body["status"] == "done" and body["created"] == 1800 and body["rows_estimated"] == 1800
    assert body["rows_read"] == 1800 and seen[-1] == "done"
    response = client.get(f"/api/v1/imports/{job['id']}/report.csv")  # nothing rejected: the header alone
    assert response.status_code == 200 and response.get_data().decode("utf-8-sig").splitlines() == ["row,column,value,reason"]


def test_dry_run_and_unreadable_files(client):
    body, _ = finished(client, upload(client, "people_utf8.csv", dry_run=True))
    assert body["status"] == "done" and body["dry_run"] is True and body["created"] > 0
    assert client.get("/api/v1/volunteers").get_json() == []  # nothing written
    body, _ = finished(client, upload(client, "no_name.csv"))
    assert body["status"] == "failed" and "no name column" in body["message"]


@pytest.mark.parametrize("name,form,field", [("people.pdf", {}, "file"), ("people_utf8.csv", {"station_id": 999}, "station_id"),
                                             ("people_utf8.csv", {"dry_run": "maybe"}, "dry_run"),
                                             ("people_utf8.csv", {"extra": "1"}, "extra")])
def test_bad_uploads_are_422(client, name, form, field):
    data = (DATA / "people_utf8.csv").read_bytes()
    error = upload(client, name, data=data, expect=422, **form)
    assert field in error["errors"]


def test_missing_file_is_422(client):
    response = client.post("/api/v1/imports", data={"dry_run": "true"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.get_json()["errors"]


def test_coordinators_import_into_their_own_station_only(client, anon, station, make_token):
    own = bearer(make_token("coordinator", station_ids=[station["id"]]))
    data = (DATA / "people_utf8.csv").read_bytes()
    body = {"file": (io.BytesIO(data), "p.csv")}
    response = anon.post("/api/v1/imports", data=dict(body), content_type="multipart/form-data", environ_base=own)
    assert response.status_code == 422 and "station_id" in response.get_json()["errors"]
    other = client.post("/api/v1/stations", json={"name": "别站", "address": "重庆市南岸区"}).get_json()
    response = anon.post("/api/v1/imports", data={"file": (io.BytesIO(data), "p.csv"), "station_id": str(other["id"])},
                         content_type="multipart/form-data", environ_base=own)
    assert response.status_code == 403
    response = anon.post("/api/v1/imports", data={"file": (io.BytesIO(data), "p.csv"), "station_id": str(station["id"])},
                         content_type="multipart/form-data", environ_base=own)
    assert response.status_code == 202
    job = response.get_json()
    body, _ = finished(client, job)
    assert body["status"] == "done"
    elsewhere = bearer(make_token("coordinator", station_ids=[other["id"]]))
    assert anon.get(f"/api/v1/imports/{job['id']}", environ_base=elsewhere).status_code == 404


def test_a_coordinators_upload_leaves_other_stations_people_alone(client, anon, station, make_token):
    other = client.post("/api/v1/stations", json={"name": "别站", "address": "重庆市南岸区"}).get_json()
    theirs = client.post("/api/v1/volunteers", json={"name": "别站的人", "phone": "13900000010", "address": "重庆市南岸区",
                                                     "station_id": other["id"]}).get_json()
    ours = client.post("/api/v1/volunteers", json={"name": "本站的人", "phone": "13900000011", "address": "重庆市渝北区",
                                                   "station_id": station["id"]}).get_json()
    own = bearer(make_token("coordinator", station_ids=[station["id"]]))
    text = ("姓名,手机,服务区域,所属服务站\n改名,13900000010,重庆市渝北区,\n本站改名,13900000011,重庆市渝北区,\n"
            "新人,13900000012,重庆市渝北区,\n搬家,13900000013,重庆市渝北区,别站\n")
    response = anon.post("/api/v1/imports", data={"file": (io.BytesIO(text.encode()), "志愿者名单.csv"),
                                                  "station_id": str(station["id"])},
                         content_type="multipart/form-data", environ_base=own)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["filename"] == "志愿者名单.csv" and job["rows_estimated"] == 4
    body, _ = finished(client, job)
    assert (body["created"], body["updated"], body["rejected"]) == (1, 1, 2)
    report = anon.get(f"/api/v1/imports/{job['id']}/report.csv", environ_base=own).get_data().decode("utf-8-sig")
    assert "registered with a station this import may not change" in report and "not one of your stations" in report
    assert client.get(f"/api/v1/volunteers/{theirs['id']}").get_json()["name"] == "别站的人"  # untouched
    assert client.get(f"/api/v1/volunteers/{theirs['id']}").get_json()["station_id"] == other["id"]
    assert client.get(f"/api/v1/volunteers/{ours['id']}").get_json()["name"] == "本站改名"


def test_a_job_whose_process_stopped_reporting_is_shown_stalled(app, client):
    import datetime as dt

    from sqlalchemy import update

    from web.extensions import db
    from web.models import ImportJob

    job = upload(client, "people_utf8.csv")
    body, _ = finished(client, job)
    assert body["updated_at"] > body["created_at"]  # progress writes move updated_at
    with app.app_context():  # as if its worker died mid-import 20 minutes ago
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
        db.session.execute(update(ImportJob).where(ImportJob.id == job["id"]).values(status="running", updated_at=long_ago))
        db.session.commit()
    assert client.get(f"/api/v1/imports/{job['id']}").get_json()["status"] == "stalled"
    with app.app_context():
        db.session.execute(update(ImportJob).where(ImportJob.id == job["id"]).values(
            updated_at=dt.datetime.now(dt.UTC)))
        db.session.commit()
    assert client.get(f"/api/v1/imports/{job['id']}").get_json()["status"] == "running"
