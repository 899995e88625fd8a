"""Schemas of assignments and service records."""
from marshmallow import ValidationError, fields, validate, validates_schema

from ..auth import policy
from ..auth.context import current_principal, record_read
from ..common.schemas import BaseSchema, Id, LocalDateTime, LocationSchema, Prose
from ..common.text import msg
from ..models import ASSIGNMENT_STATUSES

TARGETS = ("accepted", "declined", "cancelled", "completed", "no_show")
MAX_HOURS = 24 * 14  # two weeks of service in one record is a typing mistake, whatever the reason


class InviteSchema(BaseSchema):
    """Ask a person to serve on a task."""

    volunteer_id = Id(required=True)


class AssignmentPatchSchema(BaseSchema):
    """A status change (`hours` go with `completed`), and/or the station's feedback on a completed one."""

    status = fields.String(validate=validate.OneOf(TARGETS))
    hours = fields.Float(validate=validate.Range(0, MAX_HOURS, min_inclusive=False),
                         metadata={"description": "hours served; with status completed"})
    reason = Prose(validate=validate.Length(min=1, max=500),
                   metadata={"description": "why the hours exceed the task's window (stations only)"})
    rating = fields.Integer(strict=True, validate=validate.Range(1, 5))
    comment = Prose(validate=validate.Length(max=2000))

    @validates_schema
    def _consistent(self, data, **kwargs):
        if not data:
            raise ValidationError(msg("give a `status`, or a `rating` / `comment`"), field_name="_schema")
        if data.get("status") != "completed":
            for name in ("hours", "reason"):
                if name in data:
                    raise ValidationError(msg("only goes with status completed"), field_name=name)
        elif "hours" not in data:
            raise ValidationError(msg("give the hours served when completing"), field_name="hours")


class TaskBriefSchema(BaseSchema):
    """The task an assignment is for, as lists show it."""

    id = fields.Integer()
    station_id = fields.Integer()
    title = fields.String()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    status = fields.String()
    station_name = fields.String(attribute="station.name", allow_none=True)
    address = fields.String(allow_none=True)
    location = fields.Nested(LocationSchema, metadata={"description": "where the service takes place"})


class RecordBriefSchema(BaseSchema):
    """The hours recorded on a completed assignment."""

    id = fields.Integer()
    hours = fields.Float()
    source = fields.String(metadata={"description": "verified | self_reported"})
    status = fields.String(metadata={"description": "confirmed | pending"})
    note = fields.String(allow_none=True)


def assignment_phone(assignment):
    """The person's phone as the caller may see it on an assignment (a full one is audited)."""
    phone, full = policy.assignment_phone(current_principal(), assignment)
    if full:
        record_read(assignment.volunteer_id, ["phone"])
    return phone


class AssignmentSchema(BaseSchema):
    """A person asked to serve on a task, and how it went.

    `phone` is shown in full to the person, admins, and the task's coordinators once the person
    has accepted (or is a member of the station); masked otherwise, so an invitation reveals nothing.
    """

    id = fields.Integer()
    task_id = fields.Integer()
    volunteer_id = fields.Integer()
    name = fields.String(attribute="volunteer.name")
    volunteer_number = fields.String(attribute="volunteer.volunteer_number", allow_none=True)
    phone = fields.Function(assignment_phone, allow_none=True, metadata={"type": "string"})
    status = fields.String(validate=validate.OneOf(ASSIGNMENT_STATUSES))
    dropped = fields.Boolean(metadata={"description": "accepted, then cancelled by the person or not shown up"})
    invited_at = LocalDateTime()
    responded_at = LocalDateTime(allow_none=True)
    finished_at = LocalDateTime(allow_none=True)
    rating = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    plan_id = fields.Integer(allow_none=True)
    task = fields.Nested(TaskBriefSchema)
    record = fields.Nested(RecordBriefSchema, allow_none=True)


class AssignmentQuerySchema(BaseSchema):
    """Filter assignments by state."""

    status = fields.String(validate=validate.OneOf(ASSIGNMENT_STATUSES))


class RecordQuerySchema(BaseSchema):
    """Service records served within a time range."""

    from_ = LocalDateTime(data_key="from")
    to = LocalDateTime()


class ServiceRecordSchema(BaseSchema):
    """Hours served on one task."""

    id = fields.Integer()
    assignment_id = fields.Integer()
    task_id = fields.Integer()
    task_title = fields.String(attribute="task.title")
    station_id = fields.Integer()
    station_name = fields.String(attribute="station.name")
    served_at = LocalDateTime()
    hours = fields.Float()
    source = fields.String(metadata={"description": "verified (by the station) | self_reported (by the person)"})
    status = fields.String(metadata={"description": "confirmed | pending (self-reported, awaiting the station) | rejected"})
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    confirmed_by = fields.String(allow_none=True)
    rating = fields.Integer(attribute="assignment.rating", allow_none=True,
                            metadata={"description": "the station's rating of this service, 1-5"})


class TotalsSchema(BaseSchema):
    """Hours by source; `pending` self-reported hours are not in `total_hours` until confirmed."""

    verified = fields.Float()
    self_reported = fields.Float()
    pending = fields.Float()


class ServiceHistorySchema(BaseSchema):
    """A person's completed service, with totals."""

    volunteer_id = fields.Integer()
    name = fields.String()
    volunteer_number = fields.String(allow_none=True)
    records = fields.List(fields.Nested(ServiceRecordSchema))
    totals = fields.Nested(TotalsSchema)
    total_hours = fields.Float(metadata={"description": "confirmed hours: verified plus confirmed self-reported"})


class RecordPatchSchema(BaseSchema):
    """A station confirms a self-reported record (correcting the hours if need be), or rejects it
    (the person did not serve: the assignment becomes a no-show)."""

    status = fields.String(required=True, validate=validate.OneOf(["confirmed", "rejected"]))
    hours = fields.Float(validate=validate.Range(0, MAX_HOURS, min_inclusive=False))
    reason = fields.String(validate=validate.Length(min=1, max=500))
