"""Fixtures: a fresh app and database per test, on SQLite or on PostgreSQL.

Set VOLMATCH_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/volmatch_test)
to run the whole suite against PostgreSQL; without it every test gets its own SQLite file.
"""
import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

import web.i18n
from web import create_app
from web.extensions import db

from .peers import GATEWAY_KEY, Mailbox, Peer


@pytest.fixture(autouse=True)
def every_message_is_translated():
    """Fail a test in which the API said a message that the Chinese catalogue does not translate, so
    the whole suite walks the error paths for tests/test_i18n.py (web/i18n.py; scripts/catalogue.sh)."""
    web.i18n.untranslated = set()
    yield
    missing, web.i18n.untranslated = web.i18n.untranslated, None
    assert not missing, f"messages without a Chinese translation (run scripts/catalogue.sh): {sorted(missing)}"


PG_URL = os.environ.get("VOLMATCH_TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parent.parent


def _reset_postgres(app):
    """Empty every table and restart ids, so each test starts from nothing."""
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()


@pytest.fixture(scope="session")
def _pg_schema():
    """On PostgreSQL, build the schema once per run from the models."""
    if not PG_URL:
        return None
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": PG_URL})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return PG_URL


@pytest.fixture
def database_url(tmp_path, _pg_schema):
    """The URL of this test's empty database."""
    return _pg_schema or f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def app(database_url, tmp_path):
    """A fresh app bound to an empty database with the current schema."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite'}"})
    if PG_URL:
        _reset_postgres(app)
    else:
        with app.app_context():
            db.create_all()
    yield app
    from web.workers.queue import stop_embedded

    stop_embedded(app)  # the in-process consumer, if a request started it
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def empty_database(app):
    """A function that empties this test's database again, ids restarting (for a test that runs twice)."""

    def empty():
        if PG_URL:
            _reset_postgres(app)
        else:
            with app.app_context():
                db.session.remove()
                db.drop_all()
                db.create_all()

    return empty


def bearer(token):
    """The WSGI environ entry that sends `Authorization: Bearer <token>`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def make_token(app):
    """Issue a token: make_token("coordinator", station_ids=[1]) -> plaintext."""

    def make(role, **kwargs):
        from web.auth.principal import issue_token

        with app.app_context():
            token = issue_token(role, **kwargs)[1]
            db.session.commit()
        return token

    return make


@pytest.fixture
def anon(app):
    """A client that sends no token."""
    return app.test_client()


@pytest.fixture
def client(app, make_token):
    """Flask test client acting as an admin: real HTTP requests through the whole stack."""
    client = app.test_client()
    client.environ_base.update(bearer(make_token("admin")))
    return client


@pytest.fixture
def runner(app):
    """CLI runner for the app's Click commands."""
    return app.test_cli_runner()


def days_ahead(days, hour=9, minute=0):
    """A local time (Asia/Shanghai, ISO without offset) `days` days after today: a task time that stays
    in the future whenever the suite runs (tasks are posted before they start)."""
    from web.common.schemas import LOCAL_TZ

    day = dt.datetime.now(LOCAL_TZ).date() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def backdate_task(app, task_id, days):
    """Time passes: move a task's window `days` days earlier, into the past (the API refuses to post
    or move a task there, so a test that needs one that has happened posts it ahead and moves it)."""
    from web.models import Task

    with app.app_context():
        task = db.session.get(Task, task_id)
        task.starts_at, task.ends_at = task.starts_at - dt.timedelta(days=days), task.ends_at - dt.timedelta(days=days)
        db.session.commit()


def post_past_task(client, body, **kwargs):
    """Post a task whose window (the body's `starts_at`, `ends_at`) may have passed, and return it as
    stored: a past one is posted whole weeks later (same weekday and time of day), then backdated."""
    start, end = (dt.datetime.fromisoformat(body[key]) for key in ("starts_at", "ends_at"))
    from web.common.schemas import LOCAL_TZ

    today = dt.datetime.now(LOCAL_TZ).date()
    weeks = (today - start.date()).days // 7 + 1 if start.date() <= today else 0
    shift = dt.timedelta(days=7 * weeks)
    ahead = {**body, "starts_at": (start + shift).isoformat(), "ends_at": (end + shift).isoformat()}
    response = client.post("/api/v1/tasks", json=ahead, **kwargs)
    assert response.status_code == 201, response.get_json()
    task = response.get_json()
    if weeks:
        backdate_task(client.application, task["id"], 7 * weeks)
        task = client.get(f"/api/v1/tasks/{task['id']}", **kwargs).get_json()
    return task


@pytest.fixture
def station(client):
    """A station in 渝北区, created through the API."""
    response = client.post("/api/v1/stations", json={
        "name": "龙溪街道社工站", "kind": "community", "location": {"lat": 29.5935, "lon": 106.5289},
    })
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_env():
    """Extra environment for the live server (a test module overrides this fixture to configure it)."""
    return {}


@pytest.fixture
def live_server(app, database_url, tmp_path, live_env):
    """gunicorn serving this test's database on a loopback port (3 worker processes x 4 threads); yields the port."""
    port = _free_port()
    # Its own queue file: the test process's queue consumer (the `app` fixture's) must not take the
    # server's tasks and run them with the test app's settings.
    env = dict(os.environ, DATABASE_URL=database_url, VOLMATCH_ENV="development", SECRET_KEY="live-server-test",
               QUEUE_URL=f"sqlite:///{tmp_path / 'live-queue.sqlite'}", PUBLIC_URL=f"http://127.0.0.1:{port}",
               **live_env)
    cmd = [sys.executable, "-m", "gunicorn", "-w", "3", "--threads", "4", "-b", f"127.0.0.1:{port}",
           "--timeout", "120", "web:create_app()"]
    import gunicorn.config

    if hasattr(gunicorn.config, "ControlSocketDisable"):  # gunicorn >= 25.1 opens a control socket otherwise
        cmd.insert(-1, "--no-control-socket")
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "Traceback" not in log.read_text(), log.read_text()


# ---------------------------------------------------------------- the browser (tests/browser.py)


@pytest.fixture
def chromium(live_server, tmp_path):
    """A Browser on the live server; the test fails if any page had a script error or a CSP violation."""
    from .browser import CHROMIUM, Browser, sync_playwright

    with sync_playwright() as p:
        shots = tmp_path / "screenshots"
        shots.mkdir()
        browser = Browser(p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]),
                          f"http://127.0.0.1:{live_server}", shots)
        yield browser
        browser.browser.close()
        assert browser.errors == [], browser.errors  # no script errors, no CSP violations


@pytest.fixture
def page(chromium):
    """A desktop-sized page on the live server."""
    return chromium.page()


# ---------------------------------------------------------------- peers on loopback (notifications)


@pytest.fixture
def gateway(app):
    """A loopback SMS gateway configured as the app's provider."""
    peer = Peer({"code": "OK"})
    app.config.update(SMS_GATEWAY_URL=peer.url + "sms", SMS_GATEWAY_KEY=GATEWAY_KEY, SMS_SIGN_NAME="龙溪社工站")
    yield peer
    peer.shutdown()
    peer.server_close()


@pytest.fixture
def robot(app):
    """A loopback WeCom-style group robot (answers errcode 0), an allowed webhook host in this test."""
    peer = Peer({"errcode": 0, "errmsg": "ok"})
    app.config["GROUP_WEBHOOK_HOSTS"] = ("127.0.0.1",)
    yield peer
    peer.shutdown()
    peer.server_close()


@pytest.fixture
def smtp(app):
    """aiosmtpd on loopback as the app's SMTP server."""
    box = Mailbox()
    from aiosmtpd.controller import Controller

    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="station@example.org")
    yield box
    controller.stop()
