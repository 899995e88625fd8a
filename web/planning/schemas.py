"""Schemas of batch plans."""
from marshmallow import ValidationError, fields, validate, validates_schema

from ..common.schemas import BaseSchema, Id, LocalDateTime, StrictBoolean, check_window
from ..common.text import msg
from ..i18n import say
from ..matching.schemas import MatchOptionsSchema
from ..services import planning
from ..services.planning import MAX_TASKS


class PlanRequestSchema(MatchOptionsSchema):
    """Which open tasks to plan (`task_ids`, or a `from`/`to` range they overlap) and the match options."""

    class Meta(MatchOptionsSchema.Meta):
        exclude = ("limit",)

    task_ids = fields.List(Id(), validate=validate.Length(1, MAX_TASKS))
    from_ = LocalDateTime(data_key="from")
    to = LocalDateTime()
    partial = StrictBoolean(load_default=False)

    @validates_schema
    def _one_selection(self, data, **kwargs):
        if "task_ids" in data:
            if "from_" in data or "to" in data:
                raise ValidationError(msg("give `task_ids` or a `from`/`to` range, not both"), field_name="task_ids")
            if len(set(data["task_ids"])) != len(data["task_ids"]):
                raise ValidationError(msg("lists a task twice"), field_name="task_ids")
        elif "from_" not in data or "to" not in data:
            raise ValidationError(msg("give `task_ids`, or both `from` and `to`"), field_name="task_ids")
        else:
            check_window(data["from_"], data["to"])


class PlannedSeatSchema(BaseSchema):
    """One proposed invitation."""

    task_id = fields.Integer()
    task_title = fields.String()
    volunteer_id = fields.Integer()
    name = fields.String()
    district = fields.String(allow_none=True)
    score = fields.Float()


class UnfilledSchema(BaseSchema):
    """Seats of a task the plan leaves empty, and why."""

    task_id = fields.Integer()
    task_title = fields.String()
    seats = fields.Integer()
    reason = fields.Method("_reason", metadata={"description": "why, in the reader's language"})

    def _reason(self, unfilled):
        if "eligible" in unfilled:  # said again from its numbers (plans proposed before this keep their English text)
            return say(planning.why_unfilled(unfilled["eligible"], unfilled["open_seats"]))
        return say(unfilled.get("reason"))


class PlanSchema(BaseSchema):
    """A proposed (or committed) plan: the seats, their summed score, and what greedy would reach."""

    id = fields.Integer()
    station_id = fields.Integer()
    status = fields.String(metadata={"description": "proposing (on the queue) | proposed | committed | failed"})
    message = fields.String(allow_none=True, metadata={"description": "why a plan proposed on the queue failed"})
    task_ids = fields.List(fields.Integer())
    seats = fields.List(fields.Nested(PlannedSeatSchema))
    total = fields.Float(metadata={"description": "summed match score of the seats (the maximum possible)"})
    greedy_total = fields.Float(metadata={"description": "what filling one task at a time, best first, reaches"})
    unfilled = fields.List(fields.Nested(UnfilledSchema))
    assignment_ids = fields.List(fields.Integer(), metadata={"description": "the invitations made by committing"})
    created_at = LocalDateTime()
