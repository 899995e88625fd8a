"""The HTTP side of access: the caller of the current request, and the reads it was shown.

Only views, schemas and the app factory use this module; services are given the Principal.
"""
from flask import g, request

from ..errors import Unauthorized
from ..extensions import db
from . import audit
from .principal import ANONYMOUS, Principal, principal_for_token


def load_principal():
    """before_request: read `Authorization: Bearer …`; a token that is given but not valid is a 401."""
    g.principal = Principal(via=request.path[:300])  # anonymous, until a token says otherwise
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use `Authorization: Bearer <token>`")
    principal = principal_for_token(token.strip(), via=request.path[:300])
    if principal is None:
        raise Unauthorized("invalid or revoked token")
    g.principal = principal


def current_principal():
    """The caller of the current request."""
    return g.get("principal", ANONYMOUS)


def answer_as(principal):
    """Dump the rest of this request's answer as `principal` sees it (a new person sees their own data)."""
    g.principal = principal


def record_read(volunteer_id, fields):
    """Note that the caller was shown these fields of this person (stored if the request succeeds)."""
    g.setdefault("audit_reads", []).append((volunteer_id, fields))


def flush_reads(response):
    """after_request: store the personal data this request showed, when it succeeded."""
    reads = g.pop("audit_reads", None)
    if not reads or response.status_code >= 400:
        return response
    db.session.rollback()  # never commit anything a view left half-done
    principal = current_principal()
    for volunteer_id, fields in reads:
        audit.log(principal, "read", volunteer_id, fields)
    db.session.commit()
    return response
