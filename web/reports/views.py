"""HTTP routes: the coverage report as JSON and as a PNG picture (drawn now, or by a queue worker)."""
from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate, validates_schema

from ..auth import policy
from ..auth.context import current_principal
from ..common.schemas import BaseSchema, LocalDateTime, check_window
from ..services import pictures
from ..services.coverage import OTHER, coverage
from ..services.coverage_chart import coverage_png
from ..workers import background

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
    people = fields.Integer(metadata={"description": "active people of the district with a skill of the category who "
                                                     "could take one of the cell's open tasks (role, free for its "
                                                     "window); all of them when the cell has none"})
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


class PictureStateSchema(BaseSchema):
    """A coverage picture asked of the queue: its filters, and whether it is drawn yet."""

    id = fields.Integer()
    status = fields.String(metadata={"description": "queued | done | failed"})
    filters = fields.Dict(metadata={"description": "district, category, from, to as asked (those given)"})
    lang = fields.String()
    message = fields.String(allow_none=True, metadata={"description": "why it failed"})
    png_url = fields.Method("_png_url", metadata={"description": "where the PNG is, once `done`"})
    created_at = LocalDateTime()
    updated_at = LocalDateTime()

    def _png_url(self, picture):
        return url_for("reports.CoveragePicturePng", picture_id=picture.id)


@blp.route("/coverage-pictures")
class CoveragePictures(MethodView):
    @blp.arguments(PictureQuerySchema)
    @blp.response(202, PictureStateSchema)
    def post(self, filters):
        """Ask a queue worker to draw the coverage picture (admins and coordinators); GET it until it is `done`."""
        lang = filters.pop("lang")
        picture = background.start_picture(current_principal(), filters, lang)
        return picture, 202, {"Location": url_for("reports.CoveragePictureState", picture_id=picture.id)}


@blp.route("/coverage-pictures/<int(max=2147483647):picture_id>")
class CoveragePictureState(MethodView):
    @blp.response(200, PictureStateSchema)
    def get(self, picture_id):
        """Whether the picture is drawn yet (admins and coordinators)."""
        return pictures.readable(current_principal(), picture_id)


@blp.route("/coverage-pictures/<int(max=2147483647):picture_id>/png")
class CoveragePicturePng(MethodView):
    @blp.response(200, content_type="image/png", description="1200 x 800 PNG heat map of the gap")
    def get(self, picture_id):
        """The drawn picture (409 while it is queued, or when it failed)."""
        return Response(pictures.png(current_principal(), picture_id), mimetype="image/png")
