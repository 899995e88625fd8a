"""Marshmallow schemas for stations."""
from marshmallow import fields, validate

from ..common.schemas import BaseSchema, LocalDateTime, LocationSchema, PlacedSchema

KINDS = ("community", "business_district", "office_building", "industrial_park", "village", "other")


class StationSchema(PlacedSchema):
    """A service station."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default="community", validate=validate.OneOf(KINDS))
    location = fields.Nested(LocationSchema)
    service_area_km = fields.Float(load_default=30.0, validate=validate.Range(0, 500, min_inclusive=False), metadata={
        "description": "radius (km) its tasks and match requests must lie in; set by admins"})
    created_at = LocalDateTime(dump_only=True)
    updated_at = LocalDateTime(dump_only=True)


class StationPatchSchema(StationSchema):
    """Partial update of a station (used with partial=True): only the fields sent change."""

    service_area_km = fields.Float(validate=validate.Range(0, 500, min_inclusive=False),
                                   metadata={"description": "set by admins"})


class StationQuerySchema(BaseSchema):
    """Filters for listing stations."""

    district = fields.String()
    kind = fields.String(validate=validate.OneOf(KINDS))
