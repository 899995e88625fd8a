"""The audit log: reads and changes of personal data, and match and plan calls. Flask-free.

Entries are added to the current transaction, so they commit (or roll back) with what they record.
"""
from ..extensions import db
from ..models import AuditEntry


def entry(actor, action, volunteer_id=None, fields=(), detail=None):
    """An audit row for `actor` doing `action` (to a person, naming personal fields, or with a detail)."""
    return AuditEntry(token_id=actor.token_id, actor=actor.label, action=action, volunteer_id=volunteer_id,
                      fields=sorted(fields), path=(actor.via or "-")[:300], detail=detail)


def log(actor, action, volunteer_id=None, fields=(), detail=None):
    """Add an audit entry to the current transaction."""
    db.session.add(entry(actor, action, volunteer_id, fields, detail))
