"""The HTTP side of access: the caller of the current request, and the reads it was shown.

Only views, schemas and the app factory use this module; services are given the Principal.
"""
from flask import g, request

from ..common.text import msg
from ..errors import Unauthorized
from ..extensions import db
from ..security import spend_token_failure
from . import audit
from .principal import ANONYMOUS, Principal, principal_for_token

# The operations anyone may call without a token, as (method, endpoint). Every other one answers 401
# to an anonymous caller before its body is read. (A token, when given, is checked everywhere.)
PUBLIC = frozenset({
    ("POST", "volunteers.Volunteers"),  # sign-up
    ("GET", "stations.Stations"),
    ("GET", "stations.StationsById"),
    ("POST", "notifications.SmsReplies"),  # the SMS gateway, proven by its signature instead
    ("POST", "signin.Codes"),
    ("POST", "signin.Sessions"),
    ("POST", "signin.SignUp"),
    ("GET", "signin.InvitationLink"),  # the link is the proof
    ("POST", "signin.InvitationLink"),
    ("POST", "needs.Needs"),  # a resident's request (rate limited per address)
    ("GET", "needs.NeedFollowUp"),  # the request's secret token is the proof
    ("POST", "needs.NeedRating"),
    ("GET", "api-docs.openapi_json"),
    ("GET", "api-docs.openapi_swagger_ui"),
    ("GET", "swagger_ui_static"),
    ("GET", "console.root"),
    ("GET", "console.console"),
    ("GET", "console.static"),
    ("GET", "vpages.home"),
    ("GET", "vpages.static"),
    ("GET", "static"),
})


# The OpenAPI `security` of the public API operations above: no token, or one (then it is checked).
PUBLIC_DOC: dict[str, list[dict[str, list[str]]]] = {"security": [{}, {"bearerAuth": []}]}


def is_public():
    """Whether this request's operation may be called without a token."""
    if request.url_rule is None or request.method == "OPTIONS":
        return True  # no such route (the router answers 404/405), or a CORS preflight: no body is read
    method = "GET" if request.method == "HEAD" else request.method
    return (method, request.endpoint) in PUBLIC


def load_principal():
    """before_request: read `Authorization: Bearer …`; a bad token, or none where one is needed, is a 401."""
    g.principal = Principal(via=request.path[:300])  # anonymous, until a token says otherwise
    header = request.headers.get("Authorization")
    if header is None:
        if not is_public():
            raise Unauthorized(msg("this needs a bearer token"))
        return
    scheme, _, token = header.partition(" ")
    wellformed = scheme.lower() == "bearer" and token.strip()
    principal = principal_for_token(token.strip(), via=request.path[:300]) if wellformed else None
    if principal is None:
        spend_token_failure()  # 429 once this address has presented too many bad tokens
        raise Unauthorized(msg("invalid or revoked token") if wellformed else msg("use `Authorization: Bearer <token>`"))
    g.principal = principal


def current_principal():
    """The caller of the current request."""
    return g.get("principal", ANONYMOUS)


def answer_as(principal):
    """Dump the rest of this request's answer as `principal` sees it (a new person sees their own data)."""
    g.principal = principal


def record_read(volunteer_id, fields, detail=None):
    """Note that the caller was shown these fields of this person (or of what `detail` names, a
    resident's request) (stored if the request succeeds)."""
    g.setdefault("audit_reads", []).append((volunteer_id, fields, detail))


def flush_reads(response):
    """after_request: store the personal data this request showed, when it succeeded."""
    reads = g.pop("audit_reads", None)
    if not reads or response.status_code >= 400:
        return response
    db.session.rollback()  # never commit anything a view left half-done
    principal = current_principal()
    for volunteer_id, fields, detail in reads:
        audit.log(principal, "read", volunteer_id, fields, detail)
    db.session.commit()
    return response
