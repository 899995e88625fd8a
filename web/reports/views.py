"""HTTP routes: the coverage report as JSON, as CSV or Excel, and as a PNG picture (drawn now, or by a queue worker)."""
from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate, validates_schema

from ..auth.context import current_principal
from ..common.schemas import LOCAL_TZ, BaseSchema, LocalDateTime, check_window
from ..services import coverage, pictures
from ..services.coverage import OTHER, SORTS
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


class OrderQuerySchema(CoverageQuerySchema):
    """The filters, and the order of the rows."""

    sort = fields.String(load_default="district", validate=validate.OneOf(SORTS),
                         metadata={"description": "`district`: districts in pinyin order, then categories; `gap`: "
                                                  "the largest gap first (then the most open seats)"})
    own_first = fields.Boolean(load_default=True, metadata={"description": "a coordinator's own districts (those of "
                                                                           "their stations) before the others"})


class PageQuerySchema(OrderQuerySchema):
    """The filters, the order, and one page of rows."""

    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    page_size = fields.Integer(validate=validate.Range(1, 1000),
                               metadata={"description": "rows per page; without it, every row"})


class PagePictureQuerySchema(PageQuerySchema):
    """A page of the report drawn, the labels' language, and the picture's shape."""

    lang = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))
    layout = fields.String(load_default="wide", validate=validate.OneOf(["wide", "narrow"]),
                           metadata={"description": "`wide`: 1200 x 800; `narrow`: 1200 wide and as tall as its bars "
                                                    "need, each under its own label (for a phone)"})


class ExportQuerySchema(OrderQuerySchema):
    """Every row in the chosen order; the category names' language."""

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
    rows = fields.List(fields.Nested(CoverageRowSchema), metadata={"description": "this page's rows"})
    totals = fields.Nested(CoverageTotalsSchema, metadata={"description": "over the rows of every page"})
    district = fields.String(allow_none=True, metadata={"description": "the district the `district` filter matched "
                                                                       "(渝中 finds 渝中区)"})
    sort = fields.String()
    page = fields.Integer()
    page_size = fields.Integer(allow_none=True, metadata={"description": "null: every row is on this page"})
    pages = fields.Integer()
    total_rows = fields.Integer(metadata={"description": "rows of every page"})
    own_districts = fields.List(fields.String(), metadata={"description": "the districts of the caller's stations "
                                                                          "(coordinators), pinyin order"})
    districts = fields.List(fields.String(), metadata={"description": "every district with active people, open "
                                                                      "tasks or a station, pinyin order (for a picker)"})


def _report(filters, strict=True, **options):
    return coverage.report(current_principal(), district=filters.get("district"), category=filters.get("category"),
                           starts=filters.get("from_"), ends=filters.get("to"), strict=strict,
                           sort=filters.get("sort", "district"), own_first=filters.get("own_first", True), **options)


@blp.route("/coverage")
class Coverage(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, CoverageSchema)
    def get(self, filters):
        """Where volunteers with the needed skills are missing (admins and coordinators; counts only).

        A `district` is matched as people type it (渝中 finds 渝中区); one that matches no district is a
        422 naming the nearest. Rows come in pinyin order of district (or largest gap first with
        `sort=gap`), a coordinator's own districts first, `page_size` at a time when asked.
        """
        report = _report(filters, page=filters["page"], page_size=filters.get("page_size"))
        report["from_"] = report.pop("from")
        return report


@blp.route("/coverage.png")
class CoveragePicture(MethodView):
    @blp.arguments(PagePictureQuerySchema, location="query")
    @blp.response(200, content_type="image/png", description="PNG (1200 x 800, or 1200 wide with `layout=narrow`): "
                                                              "the open seats and gap of each row, largest gap first")
    def get(self, filters):
        """The coverage report (or one page of it) drawn as sorted bars of open seats and gaps, labels in Chinese or English.

        A district that matches none draws an empty picture that says so.
        """
        report = _report(filters, strict=False, page=filters["page"], page_size=filters.get("page_size"))
        png = coverage_png(report, chinese=filters["lang"] == "zh", narrow=filters["layout"] == "narrow")
        return Response(png, mimetype="image/png")


def _export(filters, suffix):
    report = _report(filters)
    rows = coverage.table(report, chinese=filters["lang"] == "zh")
    starts, ends = (report[key].astimezone(LOCAL_TZ) for key in ("from", "to"))
    name = f"coverage-{starts:%Y%m%d}-{ends:%Y%m%d}.{suffix}"
    return rows, {"Content-Disposition": f'attachment; filename="{name}"'}


@blp.route("/coverage.csv")
class CoverageCsv(MethodView):
    @blp.arguments(ExportQuerySchema, location="query")
    @blp.response(200, content_type="text/csv", description="UTF-8 CSV (with BOM, for Excel): every row, formula-safe")
    def get(self, filters):
        """The coverage table as CSV: every row in the chosen order (a cell starting with = + - @ gets a ')."""
        rows, headers = _export(filters, "csv")
        return Response(coverage.csv_bytes(rows), mimetype="text/csv", headers=headers)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/coverage.xlsx")
class CoverageXlsx(MethodView):
    @blp.arguments(ExportQuerySchema, location="query")
    @blp.response(200, content_type=XLSX, description="Excel workbook: every row, numbers as numbers, text as text")
    def get(self, filters):
        """The coverage table as an Excel workbook: every row in the chosen order; no cell is a formula."""
        rows, headers = _export(filters, "xlsx")
        return Response(coverage.xlsx_bytes(rows), mimetype=XLSX, headers=headers)


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
