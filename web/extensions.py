"""Flask extensions, created unbound here and bound to an app in the factory."""
import contextlib
import sqlite3

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from .errors import VolmatchApi


@event.listens_for(Engine, "connect")
def _sqlite_settings(dbapi_connection, connection_record):
    """SQLite for a server: foreign keys on (it ignores ON DELETE rules unless asked), and the
    write-ahead log, so readers never wait for a writer and a commit (every match writes an audit
    entry) syncs once to the log instead of twice to the database (synchronous=NORMAL: a power cut
    may lose the last commits, never corrupt the file)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
            # The mode is kept in the file: the first connection switches it. Switching needs the
            # file to itself; if another process holds it now, a later connection switches it.
            with contextlib.suppress(sqlite3.OperationalError):
                dbapi_connection.execute("PRAGMA journal_mode=WAL")


class Base(DeclarativeBase):
    """Declarative base for every model; named constraints keep SQLite batch migrations possible."""

    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = VolmatchApi()


def index_cache():
    """This app's candidate index cache (one per app object, shared by its threads and given to services)."""
    from flask import current_app

    from .services.index_cache import IndexCache

    return current_app.extensions.setdefault("volmatch_index", IndexCache())
