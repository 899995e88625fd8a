"""One error path: every failure becomes `{"code", "status", "message", "errors"}` JSON."""
from flask_smorest import Api
from sqlalchemy.exc import IntegrityError
from marshmallow import ValidationError
from werkzeug.exceptions import Conflict as HTTPConflict
from werkzeug.exceptions import UnprocessableEntity


class Conflict(Exception):
    """A write that clashes with stored data (a duplicate phone, a full task...): HTTP 409."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


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


class VolmatchApi(Api):
    """flask-smorest's Api with a message on every error and field-named validation errors."""

    def handle_http_exception(self, error):
        """Render any HTTPException (and uncaught errors, as 500) with the shared schema."""
        data = getattr(error, "data", None) or {}
        errors = data.get("errors", data.get("messages"))
        if errors is not None:
            errors = _flatten(errors)
            data["errors"] = errors
            data.pop("messages", None)
        if "message" not in data:
            if errors and error.code == 422:
                data["message"] = "Invalid input: " + ", ".join(sorted(map(str, errors)))
            else:
                data["message"] = error.description
        error.data = data
        return super().handle_http_exception(error)


def _conflict_response(api, field, message):
    """Turn a conflict into the shared 409 response."""
    exc = HTTPConflict()
    exc.data = {"message": message, "errors": {field: [message]}}
    return api.handle_http_exception(exc)


def register_error_handlers(app, api):
    """Route domain conflicts and database integrity errors through the shared handler."""
    from .extensions import db

    @app.errorhandler(Conflict)
    def handle_conflict(exc):
        db.session.rollback()
        return _conflict_response(api, exc.field, exc.message)

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
        return _conflict_response(api, field, "conflicts with data stored meanwhile")
