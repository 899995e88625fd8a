"""Write locks for bookings, so their checks and their writes happen as one.

Whether a person is free and a task has a seat is checked and then written in the same
transaction, under locks every competing booking must also take:

- PostgreSQL: ``SELECT ... FOR UPDATE`` on the task row, then on the people's rows in id order
  (one order everywhere, so two bookings never wait on each other in a circle). A booking that
  will change a person's row (their engagement counts) first locks the people version row, which
  every write to people bumps before touching the person: the same order as a profile update.
- SQLite: ``BEGIN IMMEDIATE`` takes the database's single write lock before the first read,
  so booking transactions run one after another across threads and processes.

Rows are re-read under the lock, so no check looks at a copy loaded before it.
"""
from sqlalchemy import select

from ..extensions import db
from ..models import PeopleVersion, Task, Volunteer


def _begin_immediate():
    """On SQLite, start the transaction as a writer (unless this one already writes)."""
    connection = db.session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_booking(task_ids, volunteer_ids, changes_people=False):
    """Lock these tasks and people for the rest of the transaction; return them fresh, by id."""
    if db.session.get_bind().dialect.name == "sqlite":
        _begin_immediate()
    fresh = {"populate_existing": True}
    tasks = db.session.scalars(select(Task).where(Task.id.in_(sorted(set(task_ids)))).order_by(Task.id)
                               .with_for_update().execution_options(**fresh)).all()
    if changes_people:
        db.session.execute(select(PeopleVersion.id).where(PeopleVersion.id == 1).with_for_update())
    people = db.session.scalars(select(Volunteer).where(Volunteer.id.in_(sorted(set(volunteer_ids))))
                                .order_by(Volunteer.id).with_for_update().execution_options(**fresh)).all()
    return {t.id: t for t in tasks}, {p.id: p for p in people}
