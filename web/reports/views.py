"""HTTP routes: the coverage report as JSON and as a PNG picture."""
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate, validates_schema

from ..auth import policy
from ..auth.context import current_principal
from ..common.schemas import BaseSchema, LocalDateTime, check_window
from ..services.coverage import OTHER, coverage
from ..services.coverage_chart import coverage_png

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Coverage analytics")


def _category_ids():
    from matcher.categories import CATEGORIES

    return [*CATEGORIES, OTHER]


class CoverageQuerySchema(BaseSchema):
    """Filters: one district, one skill category, the range the open tasks overlap (default: the next 30 days)."""

    district = fields.String(validate=validate.Length(min=1, max=100))
    category = fields.String(validate=validate.OneOf(_category_ids()))
    from_ = LocalDateTime(data_key="from")
    to = LocalDateTime()

    @validates_schema
    def _range(self, data, **kwargs):
        if "from_" in data and "to" in data:
            check_window(data["from_"], data["to"])


class PictureQuerySchema(CoverageQuerySchema):
    """The same filters, and the labels' language."""

    lang = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))


class CoverageRowSchema(BaseSchema):
    district = fields.String(allow_none=True)
    category = fields.String()
    people = fields.Integer(metadata={"description": "active people of the district with a skill of the category"})
    demand = fields.Integer(metadata={"description": "unfilled seats of open tasks in the range"})
    gap = fields.Integer(metadata={"description": "max(demand - people, 0)"})
    ratio = fields.Float(allow_none=True, metadata={"description": "people per open seat"})


class CategorySchema(BaseSchema):
    id = fields.String()
    zh = fields.String()
    en = fields.String()


class CoverageTotalsSchema(BaseSchema):
    people = fields.Integer()
    demand = fields.Integer()
    gap = fields.Integer()


class CoverageSchema(BaseSchema):
    """Per district and skill category: who could serve, the open demand, and the gap."""

    from_ = LocalDateTime(data_key="from")
    to = LocalDateTime()
    categories = fields.List(fields.Nested(CategorySchema))
    rows = fields.List(fields.Nested(CoverageRowSchema))
    totals = fields.Nested(CoverageTotalsSchema)


def _report(filters):
    policy.may_read_reports(current_principal())
    return coverage(district=filters.get("district"), category=filters.get("category"),
                    starts=filters.get("from_"), ends=filters.get("to"))


@blp.route("/coverage")
class Coverage(MethodView):
    @blp.arguments(CoverageQuerySchema, location="query")
    @blp.response(200, CoverageSchema)
    def get(self, filters):
        """Where volunteers with the needed skills are missing (admins and coordinators; counts only)."""
        report = _report(filters)
        report["from_"] = report.pop("from")
        return report


@blp.route("/coverage.png")
class CoveragePicture(MethodView):
    @blp.arguments(PictureQuerySchema, location="query")
    @blp.response(200, content_type="image/png", description="1200 x 800 PNG heat map of the gap")
    def get(self, filters):
        """The coverage report drawn as a heat map (district x skill category), labels in Chinese or English."""
        png = coverage_png(_report(filters), chinese=filters["lang"] == "zh")
        return Response(png, mimetype="image/png")
