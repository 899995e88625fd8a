"""Schemas of the match routes."""
from marshmallow import ValidationError, fields, validate, validates_schema

from ..common.schemas import (
    BaseSchema,
    Id,
    LocalDateTime,
    LocationSchema,
    PlacedSchema,
    StrictBoolean,
    StringList,
    check_window,
)
from ..common.text import msg
from ..services.matching import weights_of
from ..tasks.schemas import TASK_ROLES


def check_weights(data):
    """The weights, given or default, may not all be 0 (nothing would rank anyone)."""
    try:
        weights_of(data)
    except ValueError:
        raise ValidationError(msg("the weights cannot all be 0"), field_name="w_skill") from None


class MatchOptionsSchema(BaseSchema):
    """How many results, how far, how the factors weigh, whether partly free people count."""

    limit = fields.Integer(load_default=20, validate=validate.Range(1, 200))
    max_distance_km = fields.Float(validate=validate.Range(0, 500, min_inclusive=False),
                                   metadata={"description": "cap on everyone's travel radius"})
    w_skill = fields.Float(validate=validate.Range(0, 100))
    w_distance = fields.Float(validate=validate.Range(0, 100))
    w_availability = fields.Float(validate=validate.Range(0, 100))
    w_reliability = fields.Float(validate=validate.Range(0, 100),
                                 metadata={"description": "completed against dropped services (default 0.1)"})
    w_fairness = fields.Float(validate=validate.Range(0, 100),
                              metadata={"description": "fewer recent hours rank higher (default 0.05)"})
    # A field, not Schema.partial: marshmallow moves declared fields off the class, which mypy cannot see.
    partial = fields.Boolean(  # type: ignore[assignment]
        load_default=False, metadata={"description": "admit people free for part of the window"})

    @validates_schema
    def _some_weight(self, data, **kwargs):
        check_weights(data)


class MatchTaskSchema(PlacedSchema, MatchOptionsSchema):
    """An unsaved task to match, with the match options (and their checks) in the same body."""

    place_required = False  # a station_id alone places it

    station_id = Id(allow_none=True)
    title = fields.String(validate=validate.Length(max=200))
    skills = StringList(load_default=list)
    required_skills = StringList(load_default=list)
    role = fields.String(load_default="any", validate=validate.OneOf(TASK_ROLES))
    location = fields.Nested(LocationSchema)
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    partial = StrictBoolean(load_default=False)  # a JSON body says true or false, not "1"

    @validates_schema
    def _window(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data:
            check_window(data["starts_at"], data["ends_at"])


class MatchResultSchema(BaseSchema):
    """One candidate: no contact details, only what ranking needs."""

    volunteer_id = fields.Integer()
    name = fields.String()
    role = fields.String()
    district = fields.String(allow_none=True)
    direction = fields.String(metadata={"description": "8-point compass direction of the person's home from the task"
                                                      " (N, NE, ...; empty at the door), for drawing"})
    score = fields.Float()
    distance_km = fields.Float(metadata={"description": "geodesic km, to 10 m"})
    components = fields.Dict(keys=fields.String(), values=fields.Float())
    reasons = fields.List(fields.String())


class ShortfallSchema(BaseSchema):
    """How many people each hard filter removed, in this order, each among those the earlier ones kept."""

    too_far_for_task = fields.Integer(metadata={"description": "farther than the request's max_distance_km"})
    too_far_for_them = fields.Integer(metadata={"description": "farther than they will travel"})
    inactive = fields.Integer()
    wrong_role = fields.Integer(metadata={"description": "not the role the task needs"})
    not_free = fields.Integer(metadata={"description": "not free for the whole window (with partial: at all)"})
    booked = fields.Integer(metadata={"description": "booked at that time, or asked for this task already"})
    missing_required = fields.Integer(metadata={"description": "without a required skill (or evidence for it)"})
    eligible = fields.Integer(metadata={"description": "who is left: the candidates"})


class MatchResponseSchema(BaseSchema):
    """Ranked candidates for a task (stored, or `task_id` null for an unsaved one)."""

    task_id = fields.Integer(allow_none=True)
    results = fields.List(fields.Nested(MatchResultSchema))
    shortfall = fields.Nested(ShortfallSchema, allow_none=True, metadata={
        "description": "with fewer results than `limit`: why people are not candidates; else null"})
