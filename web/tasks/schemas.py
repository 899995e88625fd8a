"""Marshmallow schemas for tasks."""
import datetime as dt

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from ..common.schemas import BaseSchema, Id, LocalDateTime, LocationSchema, PlacedSchema, Prose, StringList, check_window
from ..common.text import msg

TASK_ROLES = ("volunteer", "social_worker", "any")
STATUSES = ("open", "filled", "done", "expired", "cancelled")  # expired: its time passed and nobody served


class TaskSchema(PlacedSchema):
    """A service task: what, where, when, how many people, which skills."""

    place_required = False  # a task without a place happens at its station

    id = fields.Integer(dump_only=True)
    station_id = Id(required=True)
    title = Prose(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    skills = StringList(load_default=list, metadata={"description": "wanted skills: they raise the score"})
    required_skills = StringList(load_default=list, metadata={"description": "a candidate must have each"})
    role = fields.String(load_default="any", validate=validate.OneOf(TASK_ROLES))
    location = fields.Nested(LocationSchema)
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    headcount = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=1000))
    accepted = fields.Integer(dump_only=True, metadata={"description": "seats taken: people accepted or who served"})
    invited = fields.Integer(dump_only=True, metadata={"description": "people invited who have not answered yet"})
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

    status = fields.String(validate=validate.OneOf(["cancelled"], error=msg("can only be set to cancelled")))


class TaskQuerySchema(BaseSchema):
    """Filters for listing tasks; `from`/`to` keep tasks whose window overlaps them.

    Without `status`, cancelled and ended tasks are left out unless `include_past=true` (a range keeps its ended ones).
    """

    station_id = Id(strict=False)
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)), validate=validate.Length(max=len(STATUSES)),
                         metadata={"description": "one or more (repeat the parameter): exactly these statuses, "
                                                  "past tasks included unless include_past=false"})
    include_past = fields.Boolean(metadata={"description": "also tasks that have ended, and cancelled ones "
                                                           "(default: false, or true when a status is given)"})
    from_ = LocalDateTime(data_key="from")
    to = LocalDateTime()


MAX_REPEATS = 52  # a year of weeks


def _at_most(most):
    """A list of at most `most` items (Length's message would quote the dates themselves)."""

    def check(items):
        if len(items) > most:
            raise ValidationError(msg("at most {most} dates at a time", most=most))

    return check


class RepeatSchema(BaseSchema):
    """Dates to copy a task onto, at its local time of day (a weekly class posted once, repeated)."""

    dates = fields.List(fields.Date(validate=validate.Range(dt.date(2000, 1, 1), dt.date(2099, 12, 31))), required=True,
                        validate=[validate.Length(min=1), _at_most(MAX_REPEATS)],
                        metadata={"description": f"YYYY-MM-DD, at most {MAX_REPEATS}"})

    @post_load
    def _once_each(self, data, **kwargs):
        data["dates"] = list(dict.fromkeys(data["dates"]))  # a date given twice makes one copy
        return data
