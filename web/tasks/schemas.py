"""Marshmallow schemas for tasks."""
from marshmallow import fields, validate, validates_schema

from ..common.schemas import BaseSchema, Id, LocalDateTime, LocationSchema, PlacedSchema, StringList, check_window

TASK_ROLES = ("volunteer", "social_worker", "any")
STATUSES = ("open", "filled", "done", "expired", "cancelled")  # expired: its time passed and nobody served


class TaskSchema(PlacedSchema):
    """A service task: what, where, when, how many people, which skills."""

    place_required = False  # a task without a place happens at its station

    id = fields.Integer(dump_only=True)
    station_id = Id(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    skills = StringList(load_default=list, metadata={"description": "wanted skills: they raise the score"})
    required_skills = StringList(load_default=list, metadata={"description": "a candidate must have each"})
    role = fields.String(load_default="any", validate=validate.OneOf(TASK_ROLES))
    location = fields.Nested(LocationSchema)
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    headcount = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=1000))
    target_group = fields.String(allow_none=True, validate=validate.Length(max=200))
    status = fields.String(dump_only=True, validate=validate.OneOf(STATUSES))
    created_at = LocalDateTime(dump_only=True)
    updated_at = LocalDateTime(dump_only=True)

    @validates_schema
    def _window(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data:
            check_window(data["starts_at"], data["ends_at"])


class TaskPatchSchema(TaskSchema):
    """Partial update of a task (used with partial=True); `status` may only be set to cancelled."""

    status = fields.String(validate=validate.OneOf(["cancelled"], error="can only be set to cancelled"))


class TaskQuerySchema(BaseSchema):
    """Filters for listing tasks; `from`/`to` keep tasks whose window overlaps them."""

    station_id = Id(strict=False)
    status = fields.String(validate=validate.OneOf(STATUSES))
    from_ = LocalDateTime(data_key="from")
    to = LocalDateTime()
