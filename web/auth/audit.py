"""The audit log: reads and changes of personal data, and match and plan calls. Flask-free.

Entries are added to the current transaction, so they commit (or roll back) with what they record.
"""
from typing import cast

from sqlalchemy import Table, insert

from ..extensions import db
from ..models import AuditEntry
from ..types import utcnow


def entry(actor, action, volunteer_id=None, fields=(), detail=None):
    """An audit row for `actor` doing `action` (to a person, naming personal fields, or with a detail)."""
    return AuditEntry(token_id=actor.token_id, actor=actor.label, action=action, volunteer_id=volunteer_id,
                      fields=sorted(fields), path=(actor.via or "-")[:300], detail=detail)


def log(actor, action, volunteer_id=None, fields=(), detail=None):
    """Add an audit entry to the current transaction."""
    db.session.add(entry(actor, action, volunteer_id, fields, detail))


_INSERT = insert(cast(Table, AuditEntry.__table__))  # built once: written on every match


def write(actor, action, detail=None):
    """`log` an entry naming no person, written at once with one SQLAlchemy Core insert on the session's
    connection (in the current transaction all the same): no ORM object or flush, for the match
    route, which writes one on every call."""
    db.session.connection().execute(_INSERT, {
        "at": utcnow(), "token_id": actor.token_id, "actor": actor.label, "action": action, "volunteer_id": None,
        "fields": [], "path": (actor.via or "-")[:300], "detail": detail})
