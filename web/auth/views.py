"""HTTP routes for the audit log (admins only)."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from ..common.pagination import SQLPage
from ..common.schemas import BaseSchema, Id, LocalDateTime
from ..models import AuditEntry
from . import policy
from .context import current_principal

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit log of personal data (admins)")


class AuditEntrySchema(BaseSchema):
    """One read or change of a person's personal data."""

    id = fields.Integer()
    at = LocalDateTime()
    token_id = fields.Integer(allow_none=True)
    actor = fields.String()
    action = fields.String()
    volunteer_id = fields.Integer(allow_none=True)
    field_names = fields.List(fields.String(), attribute="fields", data_key="fields")
    path = fields.String()
    detail = fields.Dict(allow_none=True, metadata={
        "description": "match and plan calls: the task or body, and how many people were shown"})


class AuditQuerySchema(BaseSchema):
    """Filters for the audit log."""

    volunteer_id = Id(strict=False)
    token_id = Id(strict=False)
    action = fields.String(validate=validate.OneOf(["read", "create", "update", "delete", "match", "plan", "report",
                                                    "certificate"]))


@blp.route("")
class Audit(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters):
        """List audit entries, newest first, by person, token or action."""
        policy.may_read_audit(current_principal())
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
        for name, value in filters.items():
            stmt = stmt.where(getattr(AuditEntry, name) == value)
        return stmt


me_blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="Who the token belongs to")


class StationBriefSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()
    district = fields.String(allow_none=True)


class MeSchema(BaseSchema):
    """The caller: role, and the stations (coordinators) or the person (volunteers) the token acts for."""

    role = fields.String()
    token_id = fields.Integer()
    volunteer_id = fields.Integer(allow_none=True)
    stations = fields.List(fields.Nested(StationBriefSchema))


@me_blp.route("")
class Me(MethodView):
    @me_blp.response(200, MeSchema)
    def get(self):
        """Who this token belongs to (the console signs in with it)."""
        from ..extensions import db
        from ..models import Station

        principal = policy.require(current_principal(), *policy.EVERYONE)
        stations = db.session.scalars(select(Station).where(Station.id.in_(principal.station_ids)).order_by(Station.id)).all()
        return {"role": principal.role, "token_id": principal.token_id, "volunteer_id": principal.volunteer_id,
                "stations": stations}
