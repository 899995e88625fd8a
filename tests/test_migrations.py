"""Migrations: `flask --app web db upgrade` builds the schema the models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from web import create_app
from web.extensions import db


@pytest.fixture
def empty_app(tmp_path):
    """An app on an empty SQLite file (never touched by create_all)."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'mig.sqlite'}"})


def test_upgrade_builds_the_model_schema(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert {"station", "volunteer", "task", "alembic_version"} <= set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(empty_app):
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    with empty_app.app_context():
        assert "volunteer" not in inspect(db.engine).get_table_names()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with empty_app.app_context():
        assert "volunteer" in inspect(db.engine).get_table_names()


def test_people_who_signed_up_themselves_are_not_vouched_for_after_the_upgrade(empty_app):
    """The trust migration marks existing self-registered people (a `sign-up` token) unverified."""
    from sqlalchemy import text

    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "a1e3601edff0"]).exit_code == 0
    with empty_app.app_context(), db.engine.begin() as conn:
        for pid, name in ((1, "自己报名"), (2, "站点登记")):
            conn.execute(text("INSERT INTO volunteer (id, name, role, skills, certificates, languages, lat, lon, "
                              "max_distance_km, availability, tier, active, change_version, created_at, updated_at) "
                              "VALUES (:id, :name, 'volunteer', '[]', '[]', '[]', 29.6, 106.5, 10, '[]', 'regular', 1, 0, "
                              "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"), {"id": pid, "name": name})
        conn.execute(text("INSERT INTO api_token (token_hash, role, name, volunteer_id, created_at, updated_at) VALUES "
                          "('x', 'volunteer', 'sign-up', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with empty_app.app_context(), db.engine.connect() as conn:
        verified = dict(conn.execute(text("SELECT id, identity_verified FROM volunteer")).all())
    assert verified == {1: False, 2: True}
