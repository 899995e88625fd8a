"""Marshmallow schemas for residents' requests."""
import datetime as dt

import marshmallow as ma
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from matcher.categories import CATEGORIES

from ..auth import policy
from ..auth.context import current_principal, record_read
from ..common.schemas import BaseSchema, Id, LocalDateTime, LocationSchema, PlacedSchema, Prose, StrictBoolean, local_now
from ..common.text import msg
from ..models import NEED_CLOSE_REASONS, NEED_STATUSES, NEED_TARGET_GROUPS, NEED_URGENCIES
from ..tasks.schemas import TaskSchema
from ..volunteers.schemas import LANGUAGES, PhoneField

DAYS = validate.Range(dt.date(2000, 1, 1), dt.date(2099, 12, 31))
MAX_DAYS = 366  # a request's dates span at most a year
REFERENCE = validate.Length(max=20)


class NeedSubmitSchema(PlacedSchema):
    """A resident's request: what help, for whom, where, when, how urgent, and how to reach them."""

    text = Prose(required=True, validate=validate.Length(min=1, max=2000),
                 metadata={"description": "what help is needed, in the resident's words"})
    category = fields.String(allow_none=True, validate=validate.OneOf(list(CATEGORIES)), metadata={
        "description": "a skill category of the vocabulary (" + ", ".join(CATEGORIES) + "); staff set it if missing"})
    target_group = fields.String(required=True, validate=validate.OneOf(NEED_TARGET_GROUPS))
    from_date = fields.Date(validate=DAYS, metadata={"description": "first local date help is wanted (YYYY-MM-DD)"})
    to_date = fields.Date(validate=DAYS, metadata={"description": "last local date; default from_date"})
    asap = StrictBoolean(metadata={"description": "as soon as possible (the default when no dates are given)"})
    urgency = fields.String(load_default="normal", validate=validate.OneOf(NEED_URGENCIES))
    contact_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = PhoneField(required=True, metadata={"description": "Chinese mobile number; personal data"})
    language = fields.String(load_default="zh", validate=validate.OneOf(LANGUAGES),
                             metadata={"description": "the language of the SMS the resident gets"})

    @validates_schema
    def _when(self, data, **kwargs):
        start, end = data.get("from_date"), data.get("to_date")
        if data.get("asap") and (start or end):
            raise ValidationError(msg("give dates or `asap`, not both"), field_name="asap")
        if end and not start:
            raise ValidationError(msg("give `from_date` with `to_date`"), field_name="from_date")
        if start and start < local_now().date():
            raise ValidationError(msg("is in the past"), field_name="from_date")
        if start and end and end < start:
            raise ValidationError(msg("must not be before from_date"), field_name="to_date")
        if start and end and (end - start).days > MAX_DAYS:
            raise ValidationError(msg("at most {days} days after from_date", days=MAX_DAYS), field_name="to_date")

    @post_load
    def _dates(self, data, **kwargs):
        data["asap"] = "from_date" not in data
        if "from_date" in data:
            data.setdefault("to_date", data["from_date"])
        return data


class NeedReceiptSchema(BaseSchema):
    """The answer to a submission: keep the token, it is shown once."""

    reference = fields.String(metadata={"description": "the request's reference, to quote to a station"})
    token = fields.String(metadata={"description": "secret: follows the request; shown once, stored only hashed"})
    follow_up_url = fields.String(metadata={"description": "the resident's follow-up page, with the token"})
    status = fields.String()
    created_at = LocalDateTime()


class NeedTokenQuerySchema(BaseSchema):
    t = fields.String(validate=validate.Length(max=100), metadata={
        "description": "the request's secret token (or send it in the X-Need-Token header)"})


class NeedTokenHeaderSchema(ma.Schema):
    """The token in a header (other headers are let through)."""

    class Meta:
        unknown = ma.EXCLUDE

    token = fields.String(data_key="X-Need-Token", validate=validate.Length(max=100),
                          metadata={"description": "the request's secret token (or ?t=)"})


class PublicEventSchema(BaseSchema):
    what = fields.String(metadata={"description": "submitted | taken | task_created | task_attached | served | "
                                                  "closed | rated"})
    at = LocalDateTime()
    station = fields.String(allow_none=True, metadata={"description": "taken: the station's name"})
    reason = fields.String(allow_none=True, metadata={"description": "closed: why"})


class NeedFollowUpSchema(BaseSchema):
    """A resident's own request as they follow it: no staff names or ids, none of their contact details."""

    reference = fields.String()
    status = fields.String(metadata={"description": " | ".join(NEED_STATUSES)})
    category = fields.String(allow_none=True)
    text = fields.String()
    target_group = fields.String()
    district = fields.String(allow_none=True)
    from_date = fields.Date(allow_none=True)
    to_date = fields.Date(allow_none=True)
    asap = fields.Boolean()
    urgency = fields.String()
    created_at = LocalDateTime()
    station = fields.String(allow_none=True, metadata={"description": "the station that took it"})
    task_starts_at = LocalDateTime(allow_none=True, metadata={"description": "when the service is planned"})
    close_reason = fields.String(allow_none=True)
    rating = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    history = fields.List(fields.Nested(PublicEventSchema))


class RatingSchema(BaseSchema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    comment = Prose(allow_none=True, validate=validate.Length(max=2000))


class NeedEventSchema(BaseSchema):
    """One step of a request's history, as staff see it."""

    what = fields.String()
    actor = fields.String(metadata={"description": "the token's label (coordinator#3), or resident"})
    token_id = fields.Integer(allow_none=True)
    at = LocalDateTime()
    details = fields.Dict()


class NeedSchema(BaseSchema):
    """A request as staff see it. The resident's phone, address and point are shown to admins and to the
    station that took it; masked before (the phone as 138****0000, the place as its district)."""

    id = fields.Integer()
    reference = fields.String()
    status = fields.String(metadata={"description": " | ".join(NEED_STATUSES)})
    category = fields.String(allow_none=True)
    text = fields.String()
    target_group = fields.String()
    address = fields.String(allow_none=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    district = fields.String(allow_none=True)
    from_date = fields.Date(allow_none=True)
    to_date = fields.Date(allow_none=True)
    asap = fields.Boolean()
    urgency = fields.String()
    contact_name = fields.String()
    phone = fields.String()
    language = fields.String()
    station_id = fields.Integer(allow_none=True, metadata={"description": "the station that took it"})
    task_id = fields.Integer(allow_none=True)
    close_reason = fields.String(allow_none=True)
    rating = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    created_at = LocalDateTime()
    updated_at = LocalDateTime()
    served_at = LocalDateTime(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)

    @ma.post_dump(pass_original=True)
    def _protect(self, data, need, **kwargs):
        """Mask what the caller may not see; a full phone or place shown is audited."""
        shown = policy.mask_need(current_principal(), data, need)
        if shown:
            record_read(None, shown, {"need_id": need.id})
        return data


class NeedDetailSchema(NeedSchema):
    history = fields.List(fields.Nested(NeedEventSchema), attribute="events")


class NeedQuerySchema(BaseSchema):
    """Filters for the triage list."""

    status = fields.List(fields.String(validate=validate.OneOf(NEED_STATUSES)),
                         validate=validate.Length(max=len(NEED_STATUSES)),
                         metadata={"description": "one or more (repeat it); default every status but closed"})
    category = fields.String(validate=validate.OneOf(list(CATEGORIES)))
    urgency = fields.String(validate=validate.OneOf(NEED_URGENCIES))
    district = fields.String(validate=validate.Length(max=100))
    reference = fields.String(validate=REFERENCE, metadata={"description": "the reference a resident quotes"})


class NeedPatchSchema(BaseSchema):
    """Triage: set the category or urgency, and/or move the request on (`status`)."""

    category = fields.String(validate=validate.OneOf(list(CATEGORIES)))
    urgency = fields.String(validate=validate.OneOf(NEED_URGENCIES))
    status = fields.String(validate=validate.OneOf(("taken", "served", "closed")), metadata={
        "description": "taken (with station_id), served, or closed (with a reason)"})
    station_id = Id(metadata={"description": "with taken: one of your stations whose area covers the request"})
    reason = fields.String(validate=validate.OneOf(NEED_CLOSE_REASONS), metadata={"description": "with closed"})
    note = Prose(validate=validate.Length(max=500), metadata={"description": "with closed: for staff only"})

    @validates_schema
    def _consistent(self, data, **kwargs):
        if not data:
            raise ValidationError(msg("give a `status`, a `category` or an `urgency`"), field_name="_schema")
        status = data.get("status")
        if "station_id" in data and status != "taken":
            raise ValidationError(msg("only goes with status taken"), field_name="station_id")
        for name in ("reason", "note"):
            if name in data and status != "closed":
                raise ValidationError(msg("only goes with status closed"), field_name=name)
        if status == "taken" and "station_id" not in data:
            raise ValidationError(msg("give the station that takes the request"), field_name="station_id")
        if status == "closed" and "reason" not in data:
            raise ValidationError(msg("give the reason for closing"), field_name="reason")


class NeedTaskSchema(TaskSchema):
    """A task made from the request: every field is optional (the request's draft fills the rest), or
    `task_id` alone to attach the request to an open task of its station."""

    class Meta(BaseSchema.Meta):
        exclude = ("station_id",)

    task_id = Id(metadata={"description": "attach to this open task of the station instead"})

    @validates_schema
    def _task_alone(self, data, **kwargs):
        if "task_id" in data and len(data) > 1:
            raise ValidationError(msg("give `task_id` alone, or the new task's fields"), field_name="task_id")
