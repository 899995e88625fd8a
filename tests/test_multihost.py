"""Several hosts, proven: two app servers (each its own instance folder and port) in front of one
PostgreSQL, one Redis (queue and rate limits) and one queue worker, as a city would deploy them."""
import contextlib
import io
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from web import create_app
from web.extensions import db

from .conftest import PG_URL, ROOT, _free_port, _reset_postgres

REDIS = "redis://127.0.0.1:6379/0"

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _redis_up():
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
        return True
    return False


@pytest.fixture
def city(tmp_path, _pg_schema):
    """Two gunicorn hosts A and B and a `flask worker`, sharing PostgreSQL and Redis; yields the base URLs."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: run with VOLMATCH_TEST_DATABASE_URL (.ci/run does)")
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running at 127.0.0.1:6379")
        pytest.skip("needs Redis at 127.0.0.1:6379")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": PG_URL})
    _reset_postgres(app)
    name = f"volmatch-test-{secrets.token_hex(4)}"  # this run's own queue and rate-limit keys
    env = dict(os.environ, DATABASE_URL=PG_URL, VOLMATCH_ENV="development", SECRET_KEY="multihost",
               QUEUE_URL=REDIS, QUEUE_NAME=name, QUEUE_EMBEDDED="0", RATELIMIT_STORAGE_URI=REDIS,
               RATELIMIT_KEY_PREFIX=name, SIGNUP_RATE_LIMIT="4 per hour")
    processes, urls = [], {}
    for host in ("a", "b"):
        folder = tmp_path / f"instance-{host}"
        folder.mkdir()
        port = _free_port()
        cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "120",
               "web:create_app()"]
        with open(tmp_path / f"{host}.log", "wb") as log:
            processes.append(subprocess.Popen(cmd, cwd=ROOT, env={**env, "VOLMATCH_INSTANCE_PATH": str(folder)},
                                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        urls[host] = f"http://127.0.0.1:{port}"
    with open(tmp_path / "worker.log", "wb") as log:
        worker_dir = tmp_path / "instance-worker"
        worker_dir.mkdir()
        processes.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "web", "worker"], cwd=ROOT,
                                          env={**env, "VOLMATCH_INSTANCE_PATH": str(worker_dir)},
                                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    try:
        for url in urls.values():
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(url + "/api/v1/stations", timeout=2)
                    break
                assert time.monotonic() < deadline, (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()
                time.sleep(0.2)
        from web.auth.principal import issue_token

        with app.app_context():
            token = issue_token("admin", name="multihost")[1]
            db.session.commit()
        yield urls, token
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        with app.app_context():
            db.engine.dispose()
        for host in ("a", "b", "worker"):
            assert "Traceback" not in (tmp_path / f"{host}.log").read_text(), (tmp_path / f"{host}.log").read_text()


def call(url, method="GET", body=None, token=None, content_type="application/json"):
    """(status, parsed JSON or raw bytes) of one HTTP request."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw, status, kind = response.read(), response.status, response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        raw, status, kind = error.read(), error.code, error.headers.get_content_type()
    return status, json.loads(raw) if kind == "application/json" else raw


def test_an_upload_to_one_host_is_run_by_the_worker_and_its_report_served_by_the_other(city):
    (urls, token) = city
    text = "姓名,手机,地址\n张伟,13800138000,重庆市渝北区\n李娜,12345,重庆市渝北区\n"
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(text.encode()), filename="名单.csv")})
    status, job = call(urls["a"] + "/api/v1/imports", "POST", body, token, f"multipart/form-data; boundary={boundary}")
    assert status == 202, job
    deadline = time.monotonic() + 60
    while True:
        status, seen = call(urls["b"] + f"/api/v1/imports/{job['id']}", token=token)
        if seen["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (seen["status"], seen["created"], seen["rejected"]) == ("done", 1, 1), seen
    status, report = call(urls["b"] + f"/api/v1/imports/{job['id']}/report.csv", token=token)
    assert status == 200 and b"12345" in report


def test_rate_limits_hold_across_hosts(city):
    (urls, _) = city
    codes = [call(urls[host] + "/api/v1/volunteers", "POST", {"name": f"p{i}", "address": "重庆市渝北区"})[0]
             for i, host in enumerate("abababab")]
    assert codes == [201] * 4 + [429] * 4  # one budget of 4 for the city, not 4 per host (or per worker)


def test_a_person_changed_on_one_host_is_matched_on_the_other_at_once(city):
    (urls, token) = city
    _, station = call(urls["a"] + "/api/v1/stations", "POST", {"name": "站", "location": {"lat": 29.59, "lon": 106.52}},
                      token)
    _, task = call(urls["a"] + "/api/v1/tasks", "POST", {
        "station_id": station["id"], "title": "手语", "skills": ["手语"], "starts_at": "2099-01-10T09:00",
        "ends_at": "2099-01-10T12:00"}, token)
    _, person = call(urls["a"] + "/api/v1/volunteers", "POST", {
        "name": "王芳", "location": {"lat": 29.60, "lon": 106.52}, "skills": ["烹饪"],
        "availability": [{"day": "sat", "start": "08:00", "end": "18:00"}]}, token)
    matches = urls["b"] + f"/api/v1/tasks/{task['id']}/matches?w_skill=1&w_distance=0&w_availability=0"
    for _ in range(4):  # every worker of B has built its index
        status, before = call(matches, token=token)
        assert status == 200
    assert [r["components"]["skill"] for r in before["results"] if r["volunteer_id"] == person["id"]] == [0.0]
    status, _ = call(urls["a"] + f"/api/v1/volunteers/{person['id']}", "PATCH", {"skills": ["手语"]}, token)
    assert status == 200
    for _ in range(4):  # whichever of B's workers answers
        _, after = call(matches, token=token)
        assert [r["components"]["skill"] for r in after["results"] if r["volunteer_id"] == person["id"]] == [1.0]
