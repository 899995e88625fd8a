"""Background work on the task queue: imports run by a worker (not the web process), survive a dead
worker or a failed attempt, keep their files in the database; the scheduled jobs."""
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from web import create_app
from web.extensions import db
from web.models import Assignment, ImportFile, ImportJob, Task, Volunteer
from web.workers import import_jobs, schedule
from web.workers.queue import queue_of

from .conftest import ROOT, bearer, post_past_task

ROWS = 20_000
BIG = ("姓名,特长,服务区域\n" + "".join(f"志愿者{i},心理疏导,重庆市渝北区\n" for i in range(ROWS))).encode()


def upload(client, data, name="名单.csv", **form):
    # Encoded here, in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=name), **form})
    response = client.post("/api/v1/imports", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def wait(client, job_id, until, timeout=120):
    """Poll the job until `until(body)`; return the body."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/imports/{job_id}").get_json()
        if until(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {body}")


@pytest.fixture
def web_only(database_url, tmp_path, _pg_schema):
    """An app that never runs tasks itself (like a production web host): a `flask worker` must."""
    from .conftest import _reset_postgres

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "QUEUE_EMBEDDED": False,
                      "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite'}"})
    if _pg_schema:
        _reset_postgres(app)
    else:
        with app.app_context():
            db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def start_worker(app, tmp_path, log="worker.log"):
    """`flask --app web worker` as its own process on the app's database and queue."""
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], QUEUE_URL=app.config["QUEUE_URL"],
               VOLMATCH_ENV="development", QUEUE_EMBEDDED="0")
    with open(tmp_path / log, "wb") as out:  # the child keeps its own copy of the handle
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "web", "worker", "--workers", "1"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)


def people(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Volunteer))


@pytest.mark.slow
def test_a_worker_process_runs_the_upload_and_any_host_serves_its_report(web_only, make_token, tmp_path, database_url):
    client = web_only.test_client()
    from web.auth.principal import issue_token

    with web_only.app_context():
        token = issue_token("admin")[1]
        db.session.commit()
    client.environ_base.update(bearer(token))
    job = upload(client, "姓名,手机,地址\n张伟,12345,重庆市渝北区\n李娜,,重庆市渝北区\n".encode())
    time.sleep(1.0)
    assert client.get(f"/api/v1/imports/{job['id']}").get_json()["status"] == "queued"  # nobody runs it here
    worker = start_worker(web_only, tmp_path)
    try:
        body = wait(client, job["id"], lambda b: b["status"] in ("done", "failed"))
    finally:
        stop(worker)
    assert (body["status"], body["created"], body["rejected"]) == ("done", 1, 1), body
    # Another host (another app object, its own instance folder) serves the report from the database.
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "QUEUE_EMBEDDED": False,
                        "QUEUE_URL": f"sqlite:///{tmp_path / 'other-queue.sqlite'}"})
    report = other.test_client().get(f"/api/v1/imports/{job['id']}/report.csv", environ_base=bearer(token))
    assert report.status_code == 200 and "12345" in report.get_data(as_text=True)
    with web_only.app_context():
        kinds = db.session.scalars(select(ImportFile.kind).where(ImportFile.job_id == job["id"])).all()
    assert kinds == ["report"]  # the upload (personal data) is gone once the job has ended
    with other.app_context():
        db.engine.dispose()


@pytest.mark.slow
def test_a_job_whose_worker_dies_is_restarted_and_finishes_without_duplicates(web_only, tmp_path):
    client = web_only.test_client()
    from web.auth.principal import issue_token

    with web_only.app_context():
        token = issue_token("admin")[1]
        db.session.commit()
    client.environ_base.update(bearer(token))
    job = upload(client, BIG)
    worker = start_worker(web_only, tmp_path, "first.log")
    body = wait(client, job["id"], lambda b: b["status"] == "running" and b["rows_read"] >= 5000)
    os.killpg(worker.pid, signal.SIGKILL)  # the worker dies mid-import
    worker.wait(timeout=30)
    written = people(web_only)
    assert 0 < written < ROWS and body["status"] == "running"
    # The scheduler notices no progress (two minutes later) and queues the job again.
    with web_only.app_context():
        later = dt.datetime.now(dt.UTC) + import_jobs.RESTART_AFTER + dt.timedelta(seconds=5)
        assert import_jobs.restart_stalled(later) == [job["id"]]
    assert client.get(f"/api/v1/imports/{job['id']}").get_json()["status"] == "queued"
    worker = start_worker(web_only, tmp_path, "second.log")
    try:
        body = wait(client, job["id"], lambda b: b["status"] in ("done", "failed"))
    finally:
        stop(worker)
    assert body["status"] == "done" and people(web_only) == ROWS  # every row once: no duplicates
    assert body["created"] + body["unchanged"] == ROWS and body["created"] == ROWS - written
    with web_only.app_context():
        assert db.session.get(ImportJob, job["id"]).attempts == 2
        assert db.session.get(ImportFile, (job["id"], "upload")) is None


def test_a_failed_attempt_is_retried_by_the_queue(client, app, monkeypatch):
    """The first run fails as a dropped database connection would; the queue runs the job again."""
    from sqlalchemy.exc import OperationalError

    real = import_jobs.import_volunteers
    calls = []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return real(*args, **kwargs)

    monkeypatch.setattr(import_jobs, "import_volunteers", fails_once)
    job = upload(client, "姓名,手机,地址\n张伟,13800138000,重庆市渝北区\n".encode())
    body = wait(client, job["id"], lambda b: b["status"] in ("done", "failed"), timeout=60)
    assert body["status"] == "done" and body["created"] == 1 and len(calls) == 2
    with app.app_context():
        assert db.session.get(ImportJob, job["id"]).attempts == 2


def test_an_unreadable_upload_fails_and_leaves_no_file(client, app):
    job = upload(client, "手机\n13800138000\n".encode())
    body = wait(client, job["id"], lambda b: b["status"] in ("done", "failed"), timeout=60)
    assert body["status"] == "failed" and "no name column" in body["message"]
    with app.app_context():
        assert db.session.scalars(select(ImportFile).where(ImportFile.job_id == job["id"])).all() == []


def test_with_the_queue_unreachable_an_upload_is_a_503_and_nothing_is_kept(database_url, tmp_path, _pg_schema):
    """A broker that is down (nothing listens): the caller is told to retry, the job is failed, the file deleted."""
    from .conftest import _reset_postgres

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "QUEUE_EMBEDDED": False,
                      "QUEUE_URL": "redis://127.0.0.1:9/0"})  # the discard port
    if _pg_schema:
        _reset_postgres(app)
    else:
        with app.app_context():
            db.create_all()
    with app.app_context():
        from web.auth.principal import issue_token

        token = issue_token("admin")[1]
        db.session.commit()
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO("姓名,手机\n张伟,13800138000\n".encode()),
                                                           filename="名单.csv")})
    response = app.test_client().post("/api/v1/imports", data=body, environ_base=bearer(token),
                                      content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 503 and "task queue" in response.get_json()["message"]
    assert int(response.headers["Retry-After"]) > 0
    with app.app_context():
        job = db.session.scalars(select(ImportJob)).one()
        assert job.status == "failed" and "task queue" in job.message
        assert db.session.scalars(select(ImportFile)).all() == []
        db.session.remove()
        db.engine.dispose()


FORKS = """
import sys, threading
from web import create_app
from web.extensions import db
from web.services.imports import parallel
from web.workers import import_jobs

used = []
real = parallel.prepared_rows
def spy(importer, rows, jobs):
    used.append(jobs)
    return real(importer, rows, jobs)
import web.services.imports.importer as importer
importer.prepared_rows = spy

app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "QUEUE_EMBEDDED": False,
                  "QUEUE_URL": sys.argv[2], "IMPORT_JOBS": 2})
with app.app_context():
    import_jobs.run(int(sys.argv[3]))        # a queue worker process: one thread, may fork
    thread = threading.Thread(target=lambda: app.app_context().push() or import_jobs.run(int(sys.argv[4])))
    thread.start(); thread.join()             # a worker thread: imports in its own thread
print(used)
"""


def test_a_worker_process_reads_an_upload_with_import_jobs_processes_a_worker_thread_with_none(web_only, tmp_path):
    client = web_only.test_client()
    from web.auth.principal import issue_token

    with web_only.app_context():
        token = issue_token("admin")[1]
        db.session.commit()
    client.environ_base.update(bearer(token))
    rows = "姓名,手机,地址\n" + "".join(f"志愿者{i},1380013{i:04d},重庆市渝北区\n" for i in range(3000))
    first, second = upload(client, rows.encode()), upload(client, rows.encode(), name="again.csv")
    done = subprocess.run([sys.executable, "-c", FORKS, web_only.config["SQLALCHEMY_DATABASE_URI"],
                           web_only.config["QUEUE_URL"], str(first["id"]), str(second["id"])],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[2, 1]"
    assert client.get(f"/api/v1/imports/{first['id']}").get_json()["created"] == 3000
    assert client.get(f"/api/v1/imports/{second['id']}").get_json()["unchanged"] == 3000
    assert people(web_only) == 3000


def test_a_task_delivered_twice_runs_once(client, app):
    job = upload(client, "姓名,手机,地址\n张伟,13800138000,重庆市渝北区\n".encode())
    wait(client, job["id"], lambda b: b["status"] == "done", timeout=60)
    with app.app_context():
        import_jobs.run(job["id"])  # a duplicate delivery of the same task
        assert db.session.get(ImportJob, job["id"]).attempts == 1
    assert people(app) == 1


# --- the scheduled jobs --------------------------------------------------------------------------

def test_past_tasks_end_and_unanswered_invitations_expire(client, anon, station, app):
    person = anon.post("/api/v1/volunteers", json={"name": "赵敏", "address": "重庆市渝北区"}).get_json()
    other = client.post("/api/v1/volunteers", json={"name": "钱", "address": "重庆市渝北区"}).get_json()

    def task(title, day):
        return post_past_task(client, {"station_id": station["id"], "title": title, "starts_at": f"2026-01-{day}T09:00",
                                       "ends_at": f"2026-01-{day}T12:00"})

    served, nobody, upcoming = task("有人服务", 10), task("无人服务", 11), task("未来", 28)
    for t, who in ((served, other), (nobody, person), (upcoming, person)):
        client.post(f"/api/v1/tasks/{t['id']}/assignments", json={"volunteer_id": who["id"]})
    accepted = client.get(f"/api/v1/tasks/{served['id']}/assignments").get_json()[0]
    client.patch(f"/api/v1/assignments/{accepted['id']}", json={"status": "accepted"})
    with app.app_context():
        from web.services import engagement, tasks

        now = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
        assert engagement.expire_unanswered(now) == 1  # nobody's invitation; the 28th has not started
        assert tasks.close_past(now) == {"tasks_done": 1, "tasks_expired": 1}
        statuses = dict(db.session.execute(select(Task.title, Task.status)).all())
        assert statuses == {"有人服务": "done", "无人服务": "expired", "未来": "open"}
        assert db.session.scalar(select(Assignment.status).where(Assignment.task_id == nobody["id"])) == "expired"
        assert engagement.expire_unanswered(now) == 0 and tasks.close_past(now) == {"tasks_done": 0, "tasks_expired": 0}
        # The scheduled job does both at the time it runs (today: the 28th has passed as well).
        assert schedule.close_past() == {"invitations_expired": 1, "tasks_done": 0, "tasks_expired": 1}
    # An expired invitation cannot be accepted any more.
    mine = anon.get(f"/api/v1/volunteers/{person['id']}/assignments", environ_base=bearer(person["token"])).get_json()
    expired = next(a for a in mine if a["task_id"] == nobody["id"])
    answer = anon.patch(f"/api/v1/assignments/{expired['id']}", json={"status": "accepted"},
                        environ_base=bearer(person["token"]))
    assert answer.status_code == 409 and "expired" in answer.get_json()["message"]


def test_the_scheduled_jobs_are_on_the_queues_scheduler(app):
    queue = queue_of(app)
    names = {task.name for task in queue.huey.read_periodic(dt.datetime(2026, 12, 5, 3, 15))}
    assert names == {"close_past", "restart_stalled", "deliver_notifications"}  # every 5 minutes; every minute (2)
    names = {task.name for task in queue.huey.read_periodic(dt.datetime(2026, 12, 5, 3, 17))}
    assert names == {"restart_stalled", "deliver_notifications", "purge_old_files"}  # and the nightly purge at 03:17


def test_old_reports_and_left_uploads_are_purged(client, app):
    job = upload(client, "姓名,手机\n张伟,12345\n".encode())
    wait(client, job["id"], lambda b: b["status"] == "done", timeout=60)
    with app.app_context():
        now = dt.datetime.now(dt.UTC)
        assert import_jobs.purge(now, days=30) == 0
        assert import_jobs.purge(now + dt.timedelta(days=31), days=30) == 1
        assert db.session.get(ImportFile, (job["id"], "report")) is None
    assert client.get(f"/api/v1/imports/{job['id']}/report.csv").status_code == 404


@pytest.mark.slow
def test_concurrent_imports_of_one_file_never_duplicate_people(app, tmp_path, database_url):
    """Four imports of the same file at once, rows without phone, ID number or external id: each row once."""
    rows = 300
    path = tmp_path / "无编号名单.csv"
    path.write_text("姓名,特长,服务区域\n" + "".join(f"居民{i},探访,重庆市渝北区\n" for i in range(rows)), encoding="utf-8")
    env = dict(os.environ, DATABASE_URL=database_url, VOLMATCH_ENV="development", QUEUE_EMBEDDED="0",
               QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite'}")
    runs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "web", "import-volunteers", str(path), "--jobs", "1"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(4)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    assert people(app) == rows
    created = sorted(int(line.split("created ")[1].split(",")[0]) for out in outputs for line in out.splitlines()
                     if "created " in line)
    assert created == [0, 0, 0, rows], outputs  # one import created them; the others found them unchanged
