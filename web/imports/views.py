"""HTTP routes: upload a table file to import in the background, follow its progress, fetch its report."""
import os

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from flask_smorest.fields import Upload
from marshmallow import fields

from ..auth import policy
from ..auth.context import current_principal
from ..common.schemas import BaseSchema, Id, LocalDateTime
from ..common.text import msg
from ..models import ImportJob
from ..services.people import check_station
from ..workers import import_jobs as jobs

blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports", description="Bulk import of uploaded files")


class UploadSchema(ma.Schema):
    """The file: CSV (UTF-8 or GBK), Excel .xlsx, or JSON Lines, with Chinese or English headers."""

    file = Upload(required=True)


class ImportFormSchema(BaseSchema):
    """Where the people belong (coordinators must say), and whether to only check the file."""

    station_id = Id(strict=False)
    dry_run = fields.Boolean(load_default=False)


class ImportJobSchema(BaseSchema):
    """An import and how far it has got (`rows_estimated` is null for workbooks)."""

    id = fields.Integer()
    filename = fields.String()
    station_id = fields.Integer(allow_none=True)
    dry_run = fields.Boolean()
    status = fields.Function(jobs.shown_status, metadata={
        "type": "string", "description": "queued | running | done | failed | stalled (no progress for 10 minutes)"})
    rows_estimated = fields.Integer(allow_none=True)
    rows_read = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    rejected = fields.Integer()
    message = fields.String(allow_none=True)
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


def job_or_404(job_id):
    """The job, for admins and the coordinators of its station."""
    return policy.station_row(current_principal(), ImportJob, job_id, "import")


@blp.route("")
class Imports(MethodView):
    json_body = False  # multipart/form-data

    @blp.arguments(ImportFormSchema, location="form")
    @blp.arguments(UploadSchema, location="files")
    @blp.response(202, ImportJobSchema)
    def post(self, form, files, **kwargs):
        """Upload a file to import; the answer comes at once, and GET /imports/<id> follows the progress.

        Rows are validated exactly as the API validates people; rejected rows go to a report with
        their row numbers. Coordinators import into one of their stations (`station_id`) and may
        only create or update people of their stations: a row matching anyone else is refused. No
        import merges a row into a person who registered themselves until staff vouch for them.
        """
        principal = current_principal()
        station_id = form.get("station_id")
        policy.import_scope(principal, station_id)
        check_station(station_id)
        upload = files["file"]
        if os.path.splitext(upload.filename or "")[1].lower() not in jobs.SUFFIXES:
            abort(422, errors={"file": [msg("must be one of {suffixes}", suffixes=', '.join(jobs.SUFFIXES))]})
        return jobs.start(upload, station_id=station_id, dry_run=form["dry_run"], actor=principal)


@blp.route("/<int(max=2147483647):job_id>")
class ImportsById(MethodView):
    @blp.response(200, ImportJobSchema)
    def get(self, job_id):
        """How far an import has got."""
        return job_or_404(job_id)


@blp.route("/<int(max=2147483647):job_id>/report.csv")
class ImportReport(MethodView):
    @blp.response(200, content_type="text/csv", description="rejected rows: row number, column, value, reason")
    def get(self, job_id):
        """The rejected rows of a finished import (ID numbers masked)."""
        job = job_or_404(job_id)
        data = jobs.report(job)  # a done job's, or the rows before the stop of one that stopped part-way
        if data is None:
            abort(404, message=msg("import {job_id} has no report (yet)", job_id=job_id))
        return Response(data, mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-report.csv"'})
