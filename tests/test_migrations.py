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
