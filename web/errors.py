"""One error path: every failure becomes `{"code", "status", "message", "errors"}` JSON.

Services and the policy raise the domain errors below (no Flask needed to raise them); the
handlers registered here turn each into its HTTP answer. marshmallow's ValidationError is the
domain error for bad input (422).
"""
from flask_smorest import Api
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest as HTTPBadRequest
from werkzeug.exceptions import Conflict as HTTPConflict
from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, UnprocessableEntity
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.exceptions import ServiceUnavailable as HTTPServiceUnavailable
from werkzeug.exceptions import TooManyRequests as HTTPTooManyRequests
from werkzeug.exceptions import Unauthorized as HTTPUnauthorized

from .common.text import msg
from .i18n import say, say_all

# What werkzeug says for the statuses it raises by itself (no such route, wrong method...), in our words.
HTTP_MESSAGES = {
    400: msg("the request could not be understood"),
    401: msg("sign in first: send a valid token"),
    403: msg("you may not do this"),
    404: msg("not found"),
    405: msg("this method is not allowed here"),
    409: msg("this conflicts with stored data"),
    413: msg("the request body is too large"),
    415: msg("send the body as application/json"),
    422: msg("invalid input"),
    429: msg("too many requests: try again later"),
    500: msg("internal error: the request was not carried out"),
    503: msg("the service is unavailable: try again later"),
}


class DomainError(Exception):
    """A refusal by a rule of the service; `errors` names fields ({field: [message]}) when it can."""

    http: type[HTTPException] | None = None  # the werkzeug exception class it becomes
    headers: dict[str, str] | None = None  # extra response headers (Retry-After)

    def __init__(self, message, errors=None):
        super().__init__(message)
        self.message = message
        self.errors = errors


class Conflict(DomainError):
    """A write that clashes with stored data (a duplicate phone, a full task...): HTTP 409."""

    http = HTTPConflict

    def __init__(self, field, message):
        super().__init__(message, {field: [message]})
        self.field = field


class NotFound(DomainError):
    """No such object, or one the caller may not know exists: HTTP 404."""

    http = HTTPNotFound


class Forbidden(DomainError):
    """The caller is known but may not do this: HTTP 403."""

    http = HTTPForbidden


class Unauthorized(DomainError):
    """No (valid) credentials: HTTP 401."""

    http = HTTPUnauthorized


class BadRequest(DomainError):
    """A body refused before parsing (JSON nested too deep): HTTP 400."""

    http = HTTPBadRequest


class PayloadTooLarge(DomainError):
    """A body over the limit of its kind of route: HTTP 413."""

    http = RequestEntityTooLarge


class TooManyRequests(DomainError):
    """Over a rate limit: HTTP 429, saying when to try again."""

    http = HTTPTooManyRequests

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class ServiceUnavailable(DomainError):
    """Something the service relies on is down (the task queue's broker): HTTP 503, try again later."""

    http = HTTPServiceUnavailable

    def __init__(self, message, retry_after=60):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


def _flatten(errors):
    """Merge webargs' per-location errors ({"json": {...}, "query": {...}}) into one field map."""
    if not isinstance(errors, dict):
        return errors
    flat = {}
    for location, fields in errors.items():
        if location in ("json", "query", "form", "files", "headers", "path") and isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


_PAGE_FIELDS = ("total", "total_pages", "first_page", "last_page", "page", "previous_page", "next_page")


class VolmatchApi(Api):
    """flask-smorest's Api with a message on every error and field-named validation errors."""

    def _register_pagination_header(self):
        # X-Pagination carries JSON text: document it as JSON content, not a bare object.
        schema = {"type": "object", "properties": {name: {"type": "integer"} for name in _PAGE_FIELDS}}
        self.spec.components.header("PAGINATION", {
            "description": "Pagination metadata (JSON)",
            "content": {"application/json": {"schema": schema}},
        })

    def handle_http_exception(self, error):
        """Render any HTTPException (and uncaught errors, as 500) with the shared schema."""
        data = getattr(error, "data", None) or {}
        errors = data.get("errors", data.get("messages"))
        if errors is not None:
            errors = _flatten(errors)
            data["errors"] = errors
            data.pop("messages", None)
        if getattr(error, "valid_methods", None):
            # RFC 9110: a 405 says which methods the resource does support.
            data.setdefault("headers", {})["Allow"] = ", ".join(error.valid_methods)
        if "message" not in data:
            if errors and error.code == 422:
                data["message"] = msg("Invalid input: {fields}", fields=", ".join(sorted(map(str, errors))))
            else:
                data["message"] = HTTP_MESSAGES.get(error.code, error.description)
        data["message"] = say(data["message"])  # in the reader's language (web/i18n.py)
        if errors is not None:
            data["errors"] = say_all(errors)
        error.data = data
        return super().handle_http_exception(error)


def _domain_response(api, http, message, errors=None, headers=None):
    """Turn a domain refusal into the shared response of its HTTP status."""
    exc = http()
    exc.data = {"message": message}
    if errors:
        exc.data["errors"] = errors
    if headers:
        exc.data["headers"] = headers
    return api.handle_http_exception(exc)


def require_json_body():
    """Refuse a write to the API that carries no JSON object (a PATCH without a body is a client bug).

    Views that take no JSON (a view class with ``json_body = False``: actions, file uploads) are exempt.
    """
    from flask import current_app, request
    from flask_smorest import abort

    if request.method not in ("POST", "PUT", "PATCH") or request.url_rule is None:
        return  # not a write, or no such route: the router answers 404/405
    view = current_app.view_functions.get(request.endpoint)
    if getattr(getattr(view, "view_class", None), "json_body", True) is False:
        return
    if not request.get_data(cache=True):
        abort(422, message=msg("a JSON body is required"), errors={"_body": [msg("a JSON object is required")]})
    if not request.is_json:
        abort(415, message=msg("send the body as application/json"))


def register_error_handlers(app, api):
    """Route domain conflicts and database integrity errors through the shared handler."""
    from .extensions import db

    app.before_request(require_json_body)

    @app.errorhandler(DomainError)
    def handle_domain_error(exc):
        db.session.rollback()  # a service that refuses changes nothing
        return _domain_response(api, exc.http, exc.message, exc.errors, exc.headers)

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc):
        # Raised by service functions for checks a schema cannot make (a missing station).
        db.session.rollback()
        error = UnprocessableEntity()
        error.data = {"errors": exc.normalized_messages()}
        return api.handle_http_exception(error)

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(exc):
        # Reached only when a concurrent write beat our own uniqueness check.
        db.session.rollback()
        text = str(exc.orig).lower()
        field = next((f for f in ("external_id", "id_number", "phone") if f in text), "_schema")
        message = msg("conflicts with data stored meanwhile")
        return _domain_response(api, HTTPConflict, message, {field: [message]})
