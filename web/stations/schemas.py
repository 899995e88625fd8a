"""Marshmallow schemas for stations."""
from urllib.parse import urlsplit

from flask import current_app
from marshmallow import ValidationError, fields, validate, validates

from ..common.schemas import BaseSchema, LocalDateTime, LocationSchema, PlacedSchema
from ..common.text import msg

KINDS = ("community", "business_district", "office_building", "industrial_park", "village", "other")


class StationSchema(PlacedSchema):
    """A service station."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default="community", validate=validate.OneOf(KINDS))
    location = fields.Nested(LocationSchema)
    service_area_km = fields.Float(load_default=30.0, validate=validate.Range(0, 500, min_inclusive=False), metadata={
        "description": "radius (km) its tasks and match requests must lie in; set by admins"})
    group_webhook = fields.Url(load_only=True, allow_none=True, schemes={"https", "http"}, require_tld=False,
                               validate=validate.Length(max=500), metadata={
                                   "description": "a WeCom group robot's webhook that task changes are broadcast to "
                                                  "(write only: whoever has it can post to the group)"})
    has_group_webhook = fields.Function(lambda station: bool(station.group_webhook), dump_only=True)
    reminder_hours = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 168)),
                                 validate=validate.Length(max=4), metadata={
                                     "description": "hours before an accepted service its people are reminded "
                                                    "(default [24, 2])"})
    created_at = LocalDateTime(dump_only=True)
    updated_at = LocalDateTime(dump_only=True)

    @validates("group_webhook")
    def _known_robot_host(self, value, **kwargs):
        """Only the robot hosts configured (GROUP_WEBHOOK_HOSTS): the worker posts there, so a webhook
        must not point it at a machine inside the deployment's network."""
        allowed = current_app.config["GROUP_WEBHOOK_HOSTS"]
        if value is not None and urlsplit(value).hostname not in allowed:
            raise ValidationError(msg("must be a group robot on {allowed}", allowed=', '.join(allowed)))


class StationPatchSchema(StationSchema):
    """Partial update of a station (used with partial=True): only the fields sent change."""

    service_area_km = fields.Float(validate=validate.Range(0, 500, min_inclusive=False),
                                   metadata={"description": "set by admins"})


class StationQuerySchema(BaseSchema):
    """Filters for listing stations."""

    district = fields.String()
    kind = fields.String(validate=validate.OneOf(KINDS))
