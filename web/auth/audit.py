"""The audit log of reads and changes of personal data, written after each successful request."""
from flask import g, request

from ..extensions import db
from ..models import AuditEntry


def record(action, volunteer_id, fields):
    """Note that the current caller was shown these fields of this person."""
    g.setdefault("audit", []).append((action, volunteer_id, fields))


def _entry(action, volunteer_id, fields):
    """An audit row for the current caller and request."""
    from .principal import current_principal

    principal = current_principal()
    return AuditEntry(token_id=principal.token_id, actor=principal.label, action=action,
                      volunteer_id=volunteer_id, fields=sorted(fields), path=request.path[:300])


def log_change(action, volunteer_id, fields):
    """Add an audit entry for a change to the current transaction, so it commits with the change."""
    db.session.add(_entry(action, volunteer_id, fields))


def flush(response):
    """after_request: store the personal data this request showed (reads), when it succeeded."""
    entries = g.pop("audit", None)
    if not entries or response.status_code >= 400:
        return response
    db.session.rollback()  # never commit anything a view left half-done
    db.session.add_all(_entry(action, vid, fields) for action, vid, fields in entries)
    db.session.commit()
    return response
