"""HTTP routes for the audit log (admins only)."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from ..common.pagination import SQLPage
from ..common.schemas import BaseSchema, Id, LocalDateTime
from ..models import AuditEntry
from .policy import require

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit log of personal data (admins)")


class AuditEntrySchema(BaseSchema):
    """One read or change of a person's personal data."""

    id = fields.Integer()
    at = LocalDateTime()
    token_id = fields.Integer(allow_none=True)
    actor = fields.String()
    action = fields.String()
    volunteer_id = fields.Integer()
    field_names = fields.List(fields.String(), attribute="fields", data_key="fields")
    path = fields.String()


class AuditQuerySchema(BaseSchema):
    """Filters for the audit log."""

    volunteer_id = Id(strict=False)
    token_id = Id(strict=False)
    action = fields.String(validate=validate.OneOf(["read", "create", "update", "delete"]))


@blp.route("")
class Audit(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters):
        """List audit entries, newest first, by person, token or action."""
        require("admin")
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
        for name, value in filters.items():
            stmt = stmt.where(getattr(AuditEntry, name) == value)
        return stmt
