"""HTTP routes: invitations and their answers, service hours, feedback, service records."""
import csv
import io

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import policy
from ..auth.context import current_principal
from ..common.pagination import SQLPage
from ..common.schemas import LOCAL_TZ
from ..common.spreadsheet import safe_row
from ..extensions import index_cache
from ..services import engagement, matching
from .schemas import (
    AssignmentPatchSchema,
    AssignmentQuerySchema,
    AssignmentSchema,
    InviteSchema,
    RecordPatchSchema,
    RecordQuerySchema,
    ServiceHistorySchema,
    ServiceRecordSchema,
)

blp = Blueprint("engagement", __name__, url_prefix="/api/v1", description="Assignments, service hours and feedback")


@blp.route("/tasks/<int(max=2147483647):task_id>/assignments")
class TaskAssignments(MethodView):
    @blp.arguments(AssignmentQuerySchema, location="query")
    @blp.response(200, AssignmentSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters, task_id):
        """List the people asked to serve on a task (admins, or the station's coordinators)."""
        return engagement.task_assignments(current_principal(), task_id, filters)

    @blp.arguments(InviteSchema)
    @blp.response(201, AssignmentSchema)
    def post(self, data, task_id):
        """Invite a person to serve on a task (admins, or the station's coordinators).

        Coordinators may invite people of their stations, people their stations have asked before,
        and anyone who passes the task's hard filters (a 422 otherwise). 409 when the task is not
        open, the person is inactive, of the wrong role, already booked at that time, or already
        asked; an earlier declined or cancelled invitation is renewed. The answer shows the
        person's phone only once they accept (or if they are a member of the station).
        """
        cache = index_cache()
        return engagement.invite(current_principal(), task_id, data["volunteer_id"],
                                 lambda task, person_id: matching.could_serve(cache, task, person_id))


@blp.route("/assignments/<int(max=2147483647):assignment_id>")
class AssignmentsById(MethodView):
    @blp.response(200, AssignmentSchema)
    def get(self, assignment_id):
        """Read one assignment (the person asked, admins, or the station's coordinators)."""
        return policy.visible_assignment(current_principal(), assignment_id, engagement.LOADED)

    @blp.arguments(AssignmentPatchSchema)
    @blp.response(200, AssignmentSchema)
    def patch(self, data, assignment_id):
        """Answer, cancel or complete an assignment, or rate a completed one.

        The person asked may accept, decline, cancel, or complete with self-reported hours
        (pending until the station confirms; only then do they count). The station may do the
        same with verified hours, record a no-show, and rate (1-5) with a comment. Moves the state
        machine does not allow, a full task, and a clash with another accepted task are 409.
        """
        return engagement.change(current_principal(), assignment_id, data)


@blp.route("/volunteers/<int(max=2147483647):volunteer_id>/assignments")
class PersonAssignments(MethodView):
    @blp.arguments(AssignmentQuerySchema, location="query")
    @blp.response(200, AssignmentSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters, volunteer_id):
        """List a person's assignments, newest task first (coordinators see their stations' only)."""
        return engagement.person_assignments(current_principal(), volunteer_id, filters)


@blp.route("/volunteers/<int(max=2147483647):volunteer_id>/service-records")
class ServiceRecords(MethodView):
    @blp.arguments(RecordQuerySchema, location="query")
    @blp.response(200, ServiceHistorySchema)
    def get(self, filters, volunteer_id):
        """A person's completed service with hours, totals per source, and the confirmed total."""
        return engagement.history(current_principal(), volunteer_id, filters)


CSV_HEADER = ("姓名 name", "志愿者编号 volunteer number", "日期 date", "服务站 station", "任务 task",
              "时长 hours", "来源 source", "状态 status")


@blp.route("/volunteers/<int(max=2147483647):volunteer_id>/service-records.csv")
class ServiceRecordsCsv(MethodView):
    @blp.arguments(RecordQuerySchema, location="query")
    @blp.response(200, content_type="text/csv", description="UTF-8 CSV (with BOM, for Excel) ending in a total row")
    def get(self, filters, volunteer_id):
        """The same service record as CSV, for certificates: no phone, ID number or address in it."""
        history = engagement.history(current_principal(), volunteer_id, filters)
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(safe_row(CSV_HEADER))
        who = (history["name"], history["volunteer_number"] or "")
        for r in history["records"]:
            writer.writerow(safe_row((*who, r.served_at.astimezone(LOCAL_TZ).date().isoformat(), r.station.name,
                                      r.task.title, f"{r.hours:g}", r.source, r.status)))
        writer.writerow(safe_row((*who, "", "", "合计 total (confirmed)", f"{history['total_hours']:g}", "", "")))
        filename = f"service-record-{history['volunteer_number'] or volunteer_id}.csv"
        return Response(out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blp.route("/service-records/<int(max=2147483647):record_id>")
class ServiceRecordsById(MethodView):
    @blp.arguments(RecordPatchSchema)
    @blp.response(200, ServiceRecordSchema)
    def patch(self, data, record_id):
        """Confirm a self-reported record, correcting its hours if need be, or reject it (admins, or the station's coordinators)."""  # noqa: E501 - one line: the OpenAPI summary
        return engagement.review_record(current_principal(), record_id, data)
