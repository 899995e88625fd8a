"""The app as a whole: factory, configuration, OpenAPI, docs and the error shape."""
import pytest

from web import create_app
from web.config import _database_url


def test_openapi_document_lists_contract_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/volunteers", "/api/v1/volunteers/{volunteer_id}", "/api/v1/stations",
                 "/api/v1/stations/{station_id}", "/api/v1/tasks", "/api/v1/tasks/{task_id}"):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/v1/volunteers"]["post"]["summary"] == "Register a volunteer or social worker."


def test_interactive_docs_are_served_offline(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "/api/v1/docs/static/swagger-ui-bundle.js" in page.get_data(as_text=True)
    with client.get("/api/v1/docs/static/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and len(asset.data) > 100_000


@pytest.mark.parametrize("method,path,status", [
    ("get", "/api/v1/nowhere", 404),
    ("put", "/api/v1/volunteers", 405),
    ("delete", "/api/v1/tasks/1", 405),
])
def test_http_errors_are_json(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == status and body["message"]


def test_secret_key_required_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("VOLMATCH_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    assert create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"}).config["SECRET_KEY"] == "s3cret"


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("VOLMATCH_ENV", "staging")
    with pytest.raises(RuntimeError, match="VOLMATCH_ENV"):
        create_app()


@pytest.mark.parametrize("url,expected", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
])
def test_database_url_uses_psycopg3(monkeypatch, url, expected):
    monkeypatch.setenv("DATABASE_URL", url)
    assert _database_url("sqlite://") == expected


def test_default_database_is_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("VOLMATCH_ENV", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + app.instance_path + "/volmatch.sqlite"


@pytest.mark.parametrize("method", ["post", "patch"])
def test_write_without_json_body_is_refused(client, station, method):
    path = "/api/v1/stations" if method == "post" else f"/api/v1/stations/{station['id']}"
    empty = getattr(client, method)(path)
    assert empty.status_code == 422 and "_body" in empty.get_json()["errors"]
    text = getattr(client, method)(path, data="name=x", content_type="text/plain")
    assert text.status_code == 415 and text.get_json()["code"] == 415


def test_405_lists_allowed_methods(client):
    response = client.put("/api/v1/volunteers")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


@pytest.mark.parametrize("path", ["/api/v1/stations?district=a%00b", "/api/v1/volunteers?skill=%00",
                                  "/api/v1/tasks?status=open%00", "/api/v1/stations?district=%EF%BC%A1"])
def test_query_strings_are_cleaned_like_bodies(client, path):
    response = client.get(path)
    if "%00" in path:
        assert response.status_code == 422 and response.get_json()["errors"]
    else:
        assert response.status_code == 200  # full-width Ａ is NFKC-normalised, as in bodies


def test_the_app_loads_without_scikit_learn_scipy_or_matplotlib():
    """CLI jobs such as imports never rank or draw: those ~150 MB load on the first match or picture."""
    import subprocess
    import sys

    code = ("import sys; from web import create_app; create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'});"
            "print(sorted(m for m in ('sklearn', 'scipy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
