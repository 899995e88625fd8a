"""One import writes at a time, across processes and hosts.

An import reads who is stored (keys, source-row hashes) when it starts and de-duplicates against
that; two imports running at once would each create the people the other is creating (a row with
no phone, ID number or external id is recognised only by its stored source hash), or collide on a
unique key half-way. So writing imports take a lock for their whole run: on PostgreSQL a session
advisory lock (every host shares the database), on SQLite an exclusive lock on a file beside the
database (SQLite serves one machine). A dry run writes nothing and takes no lock.
"""
import contextlib
import fcntl
import os

from sqlalchemy import text

# The advisory lock's key: any fixed 64-bit number that no other lock of this database uses.
ADVISORY_KEY = 0x766F6C6D61746368  # "volmatch"


@contextlib.contextmanager
def import_lock(engine):
    """Hold the database's import lock (waiting for a running import to finish) for the block."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # a connection of its own: the import commits batch by batch
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield  # an in-memory database lives in one process: nothing to share
        return
    with open(os.path.abspath(database) + ".import-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
