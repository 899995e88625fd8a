"""Who is calling: resolved from the bearer token once per request."""
import dataclasses
import hashlib
import secrets

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken
from ..types import utcnow

ROLES = ("admin", "coordinator", "volunteer")


@dataclasses.dataclass(frozen=True)
class Principal:
    """The caller: a role, and what it is bound to (stations for coordinators, a person for volunteers)."""

    role: str | None = None
    token_id: int | None = None
    station_ids: frozenset = frozenset()
    volunteer_id: int | None = None

    @property
    def label(self):
        """Short text naming the caller in the audit log."""
        return f"{self.role}#{self.token_id}" if self.role else "anonymous"


ANONYMOUS = Principal()


def hash_token(token):
    """SHA-256 of a token: tokens are long random strings, so a plain hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(role, *, station_ids=(), volunteer_id=None, name=None):
    """Create a token; return (row, plaintext). The plaintext is never stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    plaintext = "vm_" + secrets.token_urlsafe(32)
    from ..models import Station

    stations = [db.session.get(Station, sid) for sid in station_ids]
    if any(s is None for s in stations):
        raise ValueError("unknown station id")
    row = ApiToken(token_hash=hash_token(plaintext), role=role, name=name, volunteer_id=volunteer_id, stations=stations)
    db.session.add(row)
    db.session.flush()
    return row, plaintext


def load_principal():
    """before_request: read `Authorization: Bearer …`; a token that is given but not valid is a 401."""
    g.principal = ANONYMOUS
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="use `Authorization: Bearer <token>`")
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip())))
    if row is None or row.revoked_at is not None or (row.role == "volunteer" and row.volunteer_id is None):
        abort(401, message="invalid or revoked token")
    g.principal = Principal(row.role, row.id, frozenset(row.station_ids), row.volunteer_id)


def current_principal():
    """The caller of the current request."""
    return g.get("principal", ANONYMOUS)


def revoke(token_id):
    """Mark a token revoked; return False when there is no such token."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        return False
    row.revoked_at = row.revoked_at or utcnow()
    db.session.commit()
    return True
