"""Who is acting: a role and what it is bound to. Flask-free: services are given a Principal."""
import dataclasses
import hashlib
import secrets

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import ApiToken, Station, token_station
from ..types import utcnow

ROLES = ("admin", "coordinator", "volunteer")


@dataclasses.dataclass(frozen=True)
class Principal:
    """The actor: a role, and what it is bound to (stations for coordinators, a person for volunteers).

    ``via`` says where the action came from (the request path, or the command and file), for the
    audit log; ``name`` labels actors that hold no token (a command-line job); ``import_job_id`` is
    the import job the actor is running (the people its batches write are linked to it).
    """

    role: str | None = None
    token_id: int | None = None
    station_ids: frozenset = frozenset()
    volunteer_id: int | None = None
    via: str = ""
    name: str | None = None
    import_job_id: int | None = None

    @property
    def label(self):
        """Short text naming the actor in the audit log and on records."""
        if self.name:
            return self.name
        return f"{self.role}#{self.token_id}" if self.role else "anonymous"


ANONYMOUS = Principal()


def command_line(via):
    """The actor of a command-line job: an operator with full rights, named by the command."""
    return Principal(role="admin", via=via[:300], name="import" if via.startswith("import") else "cli")


def hash_token(token):
    """SHA-256 of a token: tokens are long random strings, so a plain hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(role, *, station_ids=(), volunteer_id=None, name=None):
    """Create a token in the current transaction; return (row, plaintext). The plaintext is never stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    plaintext = "vm_" + secrets.token_urlsafe(32)
    stations = [db.session.get(Station, sid) for sid in station_ids]
    if any(s is None for s in stations):
        raise ValueError("unknown station id")
    row = ApiToken(token_hash=hash_token(plaintext), role=role, name=name, volunteer_id=volunteer_id, stations=stations)
    db.session.add(row)
    db.session.flush()
    return row, plaintext


# One query on every request: the token's row with its stations joined (one row per station). Built
# once, with the token as a parameter, so no request rebuilds it or works out its cache key again; on
# the table's columns (SQLAlchemy Core), run on the session's connection: no ORM work per request.
_TOKEN = ApiToken.__table__.c
_TOKEN_ROWS = (select(_TOKEN.id, _TOKEN.role, _TOKEN.volunteer_id, _TOKEN.revoked_at, token_station.c.station_id)
               .outerjoin(token_station, token_station.c.token_id == _TOKEN.id))
_BY_HASH = _TOKEN_ROWS.where(_TOKEN.token_hash == bindparam("token_hash"))
_BY_ID = _TOKEN_ROWS.where(_TOKEN.id == bindparam("token_id"))


def principal_for_token(token, via=""):
    """The Principal a bearer token stands for, or None when it is unknown, revoked or orphaned."""
    return _principal_of(db.session.connection().execute(_BY_HASH, {"token_hash": hash_token(token)}).all(), via)


def principal_for_token_id(token_id, via=""):
    """The Principal of a stored token (a queued job runs as the token that started it), or None when revoked."""
    return _principal_of(db.session.connection().execute(_BY_ID, {"token_id": token_id}).all(), via)


def _principal_of(rows, via):
    """The Principal of a token's rows, or None when there are none, it is revoked or its person is gone."""
    if not rows:
        return None
    token_id, role, volunteer_id, revoked_at, _ = rows[0]
    if revoked_at is not None or (role == "volunteer" and volunteer_id is None):
        return None
    stations = frozenset(r.station_id for r in rows if r.station_id is not None)
    return Principal(role, token_id, stations, volunteer_id, via=via)


def revoke(token_id):
    """Mark a token revoked; return False when there is no such token."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        return False
    row.revoked_at = row.revoked_at or utcnow()
    db.session.commit()
    return True
