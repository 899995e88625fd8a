"""Marshmallow schemas for notifications and their deliveries."""
from marshmallow import fields, validate

from ..common.schemas import BaseSchema, LocalDateTime
from ..engagement.schemas import assignment_phone
from ..models import CHANNELS, DELIVERY_STATUSES, NOTIFICATION_KINDS
from ..notify import messages


class SmsReplySchema(BaseSchema):
    """An SMS a person sent back, as the gateway forwards it."""

    phone = fields.String(required=True, validate=validate.Length(max=20))
    text = fields.String(required=True, validate=validate.Length(max=500))


class SmsReplyAnswerSchema(BaseSchema):
    opted_out = fields.Boolean(metadata={"description": "the reply was a stop word: SMS are off for that person"})


class InboxEntrySchema(BaseSchema):
    """A message in the person's inbox, in their language."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": " | ".join(NOTIFICATION_KINDS)})
    task_id = fields.Integer(allow_none=True)
    assignment_id = fields.Integer(allow_none=True)
    title = fields.Function(lambda n: messages.render(n.kind, n.params, n.language).title)
    text = fields.Function(lambda n: messages.render(n.kind, n.params, n.language).text)
    at = LocalDateTime(attribute="due_at")
    read_at = LocalDateTime(allow_none=True)


class DeliverySchema(BaseSchema):
    """One channel's delivery of a message."""

    channel = fields.String(metadata={"description": " | ".join(CHANNELS)})
    status = fields.String(metadata={"description": " | ".join(DELIVERY_STATUSES)})
    attempts = fields.Integer()
    error = fields.String(allow_none=True, metadata={"description": "why it failed, was skipped or waits"})
    next_try_at = LocalDateTime()
    sent_at = LocalDateTime(allow_none=True)


class TaskDeliverySchema(BaseSchema):
    """A person asked to serve on a task, and how their invitation travelled."""

    assignment_id = fields.Integer(attribute="assignment.id")
    volunteer_id = fields.Integer(attribute="assignment.volunteer_id")
    name = fields.String(attribute="assignment.volunteer.name")
    status = fields.String(attribute="assignment.status")
    reached = fields.Boolean(metadata={"description": "an SMS or e-mail of the invitation was sent"})
    deliveries = fields.List(fields.Nested(DeliverySchema))


class CallListEntrySchema(TaskDeliverySchema):
    """Someone no message reached: the station calls them (the phone in full only as the privacy rules allow)."""

    phone = fields.Function(lambda row: assignment_phone(row["assignment"]), allow_none=True,
                            metadata={"type": "string"})
