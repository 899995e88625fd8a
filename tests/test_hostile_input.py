"""Hostile input refused early (issue 13): authentication before any body is read, body limits per
kind of route, deeply nested JSON, and rate limits that are shared between workers and fair."""
import http.client
import io
import os
import re
import uuid

import pytest

from web import create_app
from web.extensions import db

from .conftest import bearer

# The operations anyone may call without a token (as (method, OpenAPI path)); every other one is a 401.
PUBLIC = {("post", "/api/v1/volunteers"), ("get", "/api/v1/stations"), ("get", "/api/v1/stations/{station_id}"),
          # people on their phones: codes, sign-up with a proven phone, one-tap links; the SMS gateway (signed)
          ("post", "/api/v1/sign-in/codes"), ("post", "/api/v1/sign-in/sessions"), ("post", "/api/v1/sign-in/sign-up"),
          ("get", "/api/v1/invitation-links/{token}"), ("post", "/api/v1/invitation-links/{token}"),
          ("post", "/api/v1/notifications/sms-replies"),
          # residents' requests: asking needs no account; following and rating need the request's secret token
          ("post", "/api/v1/needs"), ("get", "/api/v1/needs/follow/{reference}"),
          ("post", "/api/v1/needs/follow/{reference}/rating")}
METHODS = ("get", "put", "post", "patch", "delete")
SIGN_UP = {"name": "张伟", "address": "重庆市渝北区"}


class Tripwire(io.BytesIO):
    """A request body that remembers whether anything read it."""

    touched = False

    def read(self, size=-1):
        self.touched = True
        return super().read(size)

    def readline(self, size=-1):
        self.touched = True
        return super().readline(size)

    def readinto(self, buffer):
        self.touched = True
        return super().readinto(buffer)


def send(client, method, path, body, **kwargs):
    """Send `body` (bytes) as JSON through a Tripwire; return (response, whether the body was read)."""
    stream = Tripwire(body)
    response = client.open(path, method=method.upper(), input_stream=stream, content_length=len(body),
                           content_type="application/json", **kwargs)
    return response, stream.touched


def assert_error(response, status):
    """The usual error body, with this status."""
    assert response.status_code == status, response.get_data()[:300]
    body = response.get_json()
    assert body["code"] == status and body["status"] and body["message"], body
    return body


@pytest.fixture
def make_app(app):
    """Build more apps with extra settings on this test's database (several apps stand for several workers)."""
    base = {name: app.config[name] for name in ("SQLALCHEMY_DATABASE_URI", "QUEUE_URL", "IMPORT_DIR") if name in app.config}
    apps = []

    def make(**settings):
        apps.append(create_app({"TESTING": True, **base, **settings}))
        return apps[-1]

    yield make
    for made in apps:
        with made.app_context():
            db.session.remove()
            db.engine.dispose()


def issue(app, role="admin", **kwargs):
    """A token of `role` issued in this app's database."""
    from web.auth.principal import issue_token

    with app.app_context():
        token = issue_token(role, **kwargs)[1]
        db.session.commit()
    return token


# -- 1. authentication before any body is read ------------------------------------------------

def test_an_anonymous_match_with_a_junk_body_is_a_401_not_a_list_of_fields(anon):
    response, read = send(anon, "post", "/api/v1/matches", b'{"foo": 1}')
    body = assert_error(response, 401)
    assert "errors" not in body and not read


def test_every_operation_that_is_not_public_answers_401_to_an_anonymous_junk_body(anon):
    spec = anon.get("/api/v1/openapi.json").get_json()
    operations = {(method, path) for path, item in spec["paths"].items() for method in item if method in METHODS}
    assert operations >= PUBLIC, "a public operation was renamed: update PUBLIC here and in web/auth/context.py"
    assert spec["security"] == [{"bearerAuth": []}]  # the document says a token is needed...
    documented_public = {(method, path) for path, item in spec["paths"].items() for method, op in item.items()
                         if method in METHODS and {} in op.get("security", spec["security"])}
    assert documented_public == PUBLIC  # ...but for exactly the operations that answer without one
    assert len(operations) > 30
    for method, path in sorted(operations - PUBLIC):
        url = re.sub(r"\{[^}]+\}", "1", path)
        response, read = send(anon, method, url, b'{"foo": 1}')
        assert response.status_code == 401, (method, path, response.get_data()[:300])
        assert_error(response, 401)
        assert not read, f"{method.upper()} {path} read the body of an anonymous caller"


def test_public_operations_answer_without_a_token(anon):
    assert anon.get("/api/v1/stations").status_code == 200
    assert_error(anon.get("/api/v1/stations/1"), 404)
    assert_error(send(anon, "post", "/api/v1/volunteers", b'{"foo": 1}')[0], 422)  # sign-up validates
    script = re.search(r'src="(/console/static/[^"]+)"', anon.get("/console").get_data(as_text=True)).group(1)
    for page in ("/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/static/swagger-ui.css", "/console", script):
        with anon.get(page) as response:  # files are streamed: close them
            assert response.status_code == 200, page
    assert anon.head("/api/v1/stations").status_code == 200
    assert anon.options("/api/v1/matches").status_code == 200  # CORS preflights carry no token


def test_a_bad_token_is_a_401_on_public_routes_too(anon):
    response, read = send(anon, "post", "/api/v1/volunteers", b'{"foo": 1}', environ_base=bearer("wrong"))
    assert_error(response, 401)
    assert not read


# -- 2. body limits per kind of route ---------------------------------------------------------

def test_a_2mb_json_body_is_a_413_before_it_is_read(client):
    body = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response, read = send(client, "post", "/api/v1/matches", body)
    assert_error(response, 413)
    assert not read


def test_a_chunked_json_body_over_the_limit_is_a_413(client):
    # No Content-Length: the limit holds while reading (werkzeug stops at the limit).
    body = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/matches", input_stream=io.BytesIO(body), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert_error(response, 413)


def test_json_bodies_under_the_limit_are_read(client):
    body = b'{"title": "' + b"x" * (512 * 1024) + b'"}'
    assert_error(send(client, "post", "/api/v1/matches", body)[0], 422)  # read and validated, not refused unread


def test_a_20kb_anonymous_sign_up_is_a_413(anon):
    body = {**SIGN_UP, "name": "张" * 20_000}
    assert_error(anon.post("/api/v1/volunteers", json=body), 413)
    assert anon.post("/api/v1/volunteers", json=SIGN_UP).status_code == 201  # a normal sign-up still works


def test_uploads_have_their_own_limit(app, client):
    app.config.update(MAX_JSON_BODY=2048, MAX_ANONYMOUS_BODY=1024, MAX_UPLOAD_BODY=16 * 1024)
    rows = "\n".join(f"志愿者{i},139{i:08d},重庆市渝北区" for i in range(100))
    csv = ("姓名,手机,服务区域\n" + rows).encode()
    assert 4096 < len(csv) < 16 * 1024
    response = client.post("/api/v1/imports", data={"file": (io.BytesIO(csv), "people.csv"), "dry_run": "true"},
                           content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    _wait_for(client, response.get_json()["id"])
    big = csv * 4
    response = client.post("/api/v1/imports", data={"file": (io.BytesIO(big), "people.csv"), "dry_run": "true"},
                           content_type="multipart/form-data")
    assert_error(response, 413)


def _wait_for(client, job_id):
    """Let the import finish, so no import thread outlives its test."""
    import time

    for _ in range(600):
        if client.get(f"/api/v1/imports/{job_id}").get_json()["status"] in ("done", "failed"):
            return
        time.sleep(0.05)


# -- 3. deep JSON -----------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [500, 100_000])
def test_deeply_nested_json_is_a_400(client, depth):
    body = b'{"title": ' + b"[" * depth + b"]" * depth + b"}"
    body = assert_error(send(client, "post", "/api/v1/matches", body)[0], 400)
    assert "nest" in body["message"]


def test_deeply_nested_json_in_a_sign_up_is_a_400(anon):
    body = b'{"name": ' + b"[" * 500 + b"]" * 500 + b"}"
    assert_error(send(anon, "post", "/api/v1/volunteers", body)[0], 400)


def test_brackets_inside_strings_and_shallow_lists_are_fine(client):
    deep_text = {"title": "[" * 5000 + "{" * 5000, "skills": [["x"]] * 300}
    assert_error(client.post("/api/v1/matches", json=deep_text), 422)  # validated, not refused for nesting
    nested = b'{"title": ' + b"[" * 60 + b"]" * 60 + b"}"
    assert_error(send(client, "post", "/api/v1/matches", nested)[0], 422)


# -- 4. rate limits: shared, per token, and fair ----------------------------------------------

def _bad_token_budget_spent(client, budget):
    codes = [client.get("/api/v1/stations", headers={"Authorization": "Bearer wrong"}).status_code
             for _ in range(budget + 2)]
    assert codes == [401] * budget + [429, 429]


def test_bad_tokens_never_lock_out_valid_tokens_or_anonymous_callers(make_app):
    app = make_app(RATELIMIT_ENABLED=True, AUTH_FAILURE_RATE_LIMIT="4 per minute")
    client = app.test_client()
    token = issue(app)
    _bad_token_budget_spent(client, 4)
    assert client.get("/api/v1/me", environ_base=bearer(token)).status_code == 200
    assert client.get("/api/v1/stations").status_code == 200
    assert client.post("/api/v1/volunteers", json=SIGN_UP).status_code == 201
    refused = client.get("/api/v1/me", headers={"Authorization": "Bearer other"})
    assert_error(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_an_anonymous_caller_asking_for_a_protected_route_spends_no_bad_token_budget(make_app):
    app = make_app(RATELIMIT_ENABLED=True, AUTH_FAILURE_RATE_LIMIT="2 per minute")
    client = app.test_client()
    assert {client.get("/api/v1/me").status_code for _ in range(5)} == {401}
    _bad_token_budget_spent(client, 2)


def test_the_api_budget_is_per_token_for_signed_in_callers_and_per_address_for_others(make_app):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    client = app.test_client()
    first, second = bearer(issue(app)), bearer(issue(app))
    assert [client.get("/api/v1/me", environ_base=first).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.get("/api/v1/me", environ_base=second).status_code == 200  # same address, own budget
    assert [client.get("/api/v1/stations").status_code for _ in range(4)] == [200, 200, 200, 429]
    other = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.get("/api/v1/stations", environ_base=other).status_code == 200


def _sign_ups(client, forwarded_for, n):
    headers = {"X-Forwarded-For": forwarded_for}
    return [client.post("/api/v1/volunteers", json=SIGN_UP, headers=headers).status_code for _ in range(n)]


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per hour", TRUSTED_PROXIES=1)
    client = app.test_client()
    assert _sign_ups(client, "203.0.113.1", 3) == [201, 201, 429]
    assert _sign_ups(client, "203.0.113.2", 1) == [201]
    # What the client itself claims before the proxy's entry does not buy a new budget.
    assert _sign_ups(client, "198.51.100.9, 203.0.113.1", 1) == [429]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per hour")
    client = app.test_client()
    assert _sign_ups(client, "203.0.113.1", 2) == [201, 201]
    assert _sign_ups(client, "203.0.113.2", 1) == [429]


REDIS_URL = os.environ.get("VOLMATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_prefix():
    """A key prefix of this run on the test Redis (skipped when it is unreachable, except in CI)."""
    import redis

    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        server.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is needed in CI: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({exc}); set VOLMATCH_TEST_REDIS_URL")
    prefix = f"volmatch-test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(server.scan_iter(f"*{prefix}*"))
    if keys:
        server.delete(*keys)
    server.close()


def test_two_workers_on_one_redis_share_the_budget(make_app, redis_prefix):
    limits = {"RATELIMIT_ENABLED": True, "SIGNUP_RATE_LIMIT": "3 per hour", "AUTH_FAILURE_RATE_LIMIT": "4 per minute"}
    # Each app counts on its own, like a worker process: in memory, two of them allow twice the budget.
    workers = [make_app(**limits).test_client(), make_app(**limits).test_client()]
    codes = [workers[i % 2].post("/api/v1/volunteers", json=SIGN_UP).status_code for i in range(8)]
    assert codes == [201] * 6 + [429] * 2
    shared = {**limits, "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": redis_prefix}
    workers = [make_app(**shared).test_client(), make_app(**shared).test_client()]
    codes = [workers[i % 2].post("/api/v1/volunteers", json=SIGN_UP).status_code for i in range(6)]
    assert codes == [201, 201, 201, 429, 429, 429]
    bad = [workers[i % 2].get("/api/v1/stations", headers={"Authorization": "Bearer wrong"}).status_code
           for i in range(6)]
    assert bad == [401, 401, 401, 401, 429, 429]


def test_with_the_shared_store_down_limits_are_counted_in_memory_not_answered_with_500(make_app):
    """Redis gone (nothing listens on the port): bad tokens still get 401 then 429, the rest are served."""
    down = "redis://127.0.0.1:9/0"  # the discard port: nothing answers there
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=down, AUTH_FAILURE_RATE_LIMIT="3 per minute",
                   SIGNUP_RATE_LIMIT="2 per hour")
    client = app.test_client()
    _bad_token_budget_spent(client, 3)
    assert client.get("/api/v1/me", environ_base=bearer(issue(app))).status_code == 200
    assert _sign_ups(client, "203.0.113.1", 3) == [201, 201, 429]


# -- the same attacks against gunicorn on loopback ----------------------------------------------

@pytest.mark.slow
def test_a_served_worker_refuses_hostile_bodies_without_reading_them(live_server, make_token):
    token = make_token("admin")

    def raw(method, path, body=None, headers=(), chunks=None):
        conn = http.client.HTTPConnection("127.0.0.1", live_server, timeout=10)
        try:
            conn.putrequest(method, path)
            for name, value in dict(headers).items():
                conn.putheader(name, value)
            if chunks is not None:
                conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            if body is not None:
                conn.send(body)
            for chunk in chunks or ():
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if chunks is not None:
                conn.send(b"0\r\n\r\n")
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    json_type = {"Content-Type": "application/json"}
    # Declares 96 MB and sends 10 bytes: answered at once, not after waiting for the rest.
    huge = {**json_type, "Content-Length": str(96 * 1024 * 1024)}
    assert raw("POST", "/api/v1/matches", b'{"foo": 1}', huge)[0] == 401
    assert raw("POST", "/api/v1/matches", b'{"foo": 1}', {**huge, "Authorization": f"Bearer {token}"})[0] == 413
    assert raw("POST", "/api/v1/volunteers", b'{"foo": 1}', huge)[0] == 413
    # A chunked anonymous sign-up of 20 KB: no Content-Length to check, the limit holds while reading.
    status, body = raw("POST", "/api/v1/volunteers", headers=json_type, chunks=[b'{"name": "', b"x" * 20_000, b'"}'])
    assert status == 413 and b'"code": 413' in body.replace(b'"code":413', b'"code": 413')
    deep = b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    signed_in = {**json_type, "Authorization": f"Bearer {token}", "Content-Length": str(len(deep))}
    assert raw("POST", "/api/v1/matches", deep, signed_in)[0] == 400
