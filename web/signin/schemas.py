"""Marshmallow schemas for sign-in by SMS code and invitation links."""
from marshmallow import fields, validate

from ..common.schemas import BaseSchema, LocalDateTime
from ..common.text import msg
from ..volunteers.schemas import VolunteerSchema


class CodeRequestSchema(BaseSchema):
    phone = fields.String(required=True, validate=validate.Length(max=20),
                          metadata={"description": "the mobile number to send a 6-digit code to"})


class CodeSentSchema(BaseSchema):
    sent = fields.Boolean(metadata={"description": "always true: the answer is the same for every number"})
    expires_in = fields.Integer(metadata={"description": "seconds the code stays valid"})


class SessionRequestSchema(BaseSchema):
    phone = fields.String(required=True, validate=validate.Length(max=20))
    code = fields.String(required=True, validate=validate.Regexp(r"^\s*\d{6}\s*$", error=msg("must be the 6 digits sent")))


class SessionSchema(BaseSchema):
    registered = fields.Boolean(metadata={"description": "whether a person has this phone"})
    token = fields.String(metadata={"description": "registered: the session's token (until signed out)"})
    volunteer_id = fields.Integer()
    proof = fields.String(metadata={"description": "not registered: proof of the phone for sign-up (30 minutes)"})


class SignUpSchema(VolunteerSchema):
    """A new person with a proven phone: the proof replaces the phone."""

    class Meta:
        exclude = ("phone",)

    proof = fields.String(required=True, load_only=True, metadata={"description": "from POST /sign-in/sessions"})


class LinkedInvitationSchema(BaseSchema):
    """The invitation a one-tap link stands for: enough to decide, nothing personal."""

    assignment_id = fields.Integer(attribute="id")
    status = fields.String()
    title = fields.String(attribute="task.title")
    station = fields.String(attribute="task.station.name")
    starts_at = LocalDateTime(attribute="task.starts_at")
    ends_at = LocalDateTime(attribute="task.ends_at")
    address = fields.String(attribute="task.address", allow_none=True)
    description = fields.String(attribute="task.description", allow_none=True)


class LinkAnswerSchema(BaseSchema):
    status = fields.String(required=True, validate=validate.OneOf(("accepted", "declined")))
