"""HTTP routes: invitations and their answers, service hours, feedback, service records."""
import csv
import io

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth import policy
from ..common.pagination import SQLPage
from ..common.schemas import LOCAL_TZ
from ..extensions import db
from ..matching.eligibility import could_serve
from ..models import Assignment, ServiceRecord, Task, Volunteer
from ..tasks.views import station_task_or_404
from ..volunteers.views import visible_person_or_404
from . import service
from .schemas import (
    AssignmentPatchSchema, AssignmentQuerySchema, AssignmentSchema, InviteSchema, RecordPatchSchema, RecordQuerySchema,
    ServiceHistorySchema, ServiceRecordSchema,
)

blp = Blueprint("engagement", __name__, url_prefix="/api/v1", description="Assignments, service hours and feedback")

_LOADED = (joinedload(Assignment.volunteer), joinedload(Assignment.task), joinedload(Assignment.record))


def assignment_or_404(assignment_id):
    """The assignment, if the caller is an admin, its station's coordinator, or the person asked."""
    principal = policy.require("admin", "coordinator", "volunteer")
    assignment = db.session.get(Assignment, assignment_id, options=_LOADED)
    visible = assignment is not None and (
        principal.role == "admin"
        or (principal.role == "coordinator" and assignment.task.station_id in principal.station_ids)
        or (principal.role == "volunteer" and assignment.volunteer_id == principal.volunteer_id))
    if not visible:
        abort(404, message=f"no assignment with id {assignment_id}")
    return assignment


@blp.route("/tasks/<int(max=2147483647):task_id>/assignments")
class TaskAssignments(MethodView):
    @blp.arguments(AssignmentQuerySchema, location="query")
    @blp.response(200, AssignmentSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters, task_id):
        """List the people asked to serve on a task (admins, or the station's coordinators)."""
        task = station_task_or_404(task_id)
        stmt = select(Assignment).options(*_LOADED).where(Assignment.task_id == task.id).order_by(Assignment.id)
        if "status" in filters:
            stmt = stmt.where(Assignment.status == filters["status"])
        return stmt

    @blp.arguments(InviteSchema)
    @blp.response(201, AssignmentSchema)
    def post(self, data, task_id):
        """Invite a person to serve on a task (admins, or the station's coordinators).

        Coordinators may invite people of their stations, people their stations have asked before,
        and anyone who passes the task's hard filters (a 422 otherwise). 409 when the task is not
        open, the person is inactive, of the wrong role, already booked at that time, or already
        asked; an earlier declined or cancelled invitation is renewed.
        """
        task = station_task_or_404(task_id)
        principal = policy.current_principal()
        if principal.role == "coordinator":
            # Coordinators invite people they already know of, or people who could serve on the task;
            # an invitation must not be a way to reach (and read the contact details of) anyone else.
            person = db.session.get(Volunteer, data["volunteer_id"])
            if person is None or not (policy.can_see_person(principal, person) or could_serve(task, person.id)):
                message = f"no person with id {data['volunteer_id']} who could serve on this task"
                abort(422, errors={"volunteer_id": [message]})
        assignment = service.invite(task, data["volunteer_id"])
        db.session.commit()
        return assignment


@blp.route("/assignments/<int(max=2147483647):assignment_id>")
class AssignmentsById(MethodView):
    @blp.response(200, AssignmentSchema)
    def get(self, assignment_id):
        """Read one assignment (the person asked, admins, or the station's coordinators)."""
        return assignment_or_404(assignment_id)

    @blp.arguments(AssignmentPatchSchema)
    @blp.response(200, AssignmentSchema)
    def patch(self, data, assignment_id):
        """Answer, cancel or complete an assignment, or rate a completed one.

        The person asked may accept, decline, cancel, or complete with self-reported hours
        (pending until the station confirms). The station may do the same with verified hours,
        record a no-show, and rate (1-5) with a comment. Moves the state machine does not
        allow, a full task, and a clash with another accepted task are 409.
        """
        assignment = assignment_or_404(assignment_id)
        if policy.current_principal().role == "volunteer":
            if data.get("status") == "no_show" or "rating" in data or "comment" in data:
                abort(403, message="only the station records a no-show or rates a service")
        return service.change(assignment, data)


@blp.route("/volunteers/<int(max=2147483647):volunteer_id>/assignments")
class PersonAssignments(MethodView):
    @blp.arguments(AssignmentQuerySchema, location="query")
    @blp.response(200, AssignmentSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters, volunteer_id):
        """List a person's assignments, newest task first (coordinators see their stations' only)."""
        principal = policy.current_principal()
        person = visible_person_or_404(volunteer_id)
        stmt = (select(Assignment).options(*_LOADED).join(Task, Assignment.task_id == Task.id)
                .where(Assignment.volunteer_id == person.id).order_by(Task.starts_at.desc(), Assignment.id))
        if principal.role == "coordinator":
            stmt = stmt.where(Task.station_id.in_(principal.station_ids))
        if "status" in filters:
            stmt = stmt.where(Assignment.status == filters["status"])
        return stmt


def _history(volunteer_id, filters):
    """The person's service records (oldest first) and totals, as the schema shows them."""
    person = visible_person_or_404(volunteer_id)
    stmt = (select(ServiceRecord).options(joinedload(ServiceRecord.task), joinedload(ServiceRecord.station))
            .where(ServiceRecord.volunteer_id == person.id).order_by(ServiceRecord.served_at, ServiceRecord.id))
    if "from_" in filters:
        stmt = stmt.where(ServiceRecord.served_at >= filters["from_"])
    if "to" in filters:
        stmt = stmt.where(ServiceRecord.served_at < filters["to"])
    principal = policy.current_principal()
    if principal.role == "coordinator" and person.station_id not in principal.station_ids:
        # Another station's volunteer: only what they did for this coordinator's stations.
        stmt = stmt.where(ServiceRecord.station_id.in_(principal.station_ids))
    records = db.session.scalars(stmt).all()
    totals = {"verified": 0.0, "self_reported": 0.0, "pending": 0.0}
    for record in records:
        if record.status != "rejected":
            totals["pending" if record.status == "pending" else record.source] += record.hours
    totals = {k: round(v, 2) for k, v in totals.items()}
    return {"volunteer_id": person.id, "name": person.name, "volunteer_number": person.volunteer_number,
            "records": records, "totals": totals, "total_hours": round(totals["verified"] + totals["self_reported"], 2)}


@blp.route("/volunteers/<int(max=2147483647):volunteer_id>/service-records")
class ServiceRecords(MethodView):
    @blp.arguments(RecordQuerySchema, location="query")
    @blp.response(200, ServiceHistorySchema)
    def get(self, filters, volunteer_id):
        """A person's completed service with hours, totals per source, and the confirmed total."""
        return _history(volunteer_id, filters)


CSV_HEADER = ("姓名 name", "志愿者编号 volunteer number", "日期 date", "服务站 station", "任务 task",
              "时长 hours", "来源 source", "状态 status")


@blp.route("/volunteers/<int(max=2147483647):volunteer_id>/service-records.csv")
class ServiceRecordsCsv(MethodView):
    @blp.arguments(RecordQuerySchema, location="query")
    @blp.response(200, content_type="text/csv", description="UTF-8 CSV (with BOM, for Excel) ending in a total row")
    def get(self, filters, volunteer_id):
        """The same service record as CSV, for certificates: no phone, ID number or address in it."""
        history = _history(volunteer_id, filters)
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        who = (history["name"], history["volunteer_number"] or "")
        for r in history["records"]:
            writer.writerow((*who, r.served_at.astimezone(LOCAL_TZ).date().isoformat(), r.station.name,
                             r.task.title, f"{r.hours:g}", r.source, r.status))
        writer.writerow((*who, "", "", "合计 total (confirmed)", f"{history['total_hours']:g}", "", ""))
        filename = f"service-record-{history['volunteer_number'] or volunteer_id}.csv"
        return Response(out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blp.route("/service-records/<int(max=2147483647):record_id>")
class ServiceRecordsById(MethodView):
    @blp.arguments(RecordPatchSchema)
    @blp.response(200, ServiceRecordSchema)
    def patch(self, data, record_id):
        """Confirm a self-reported record, correcting its hours if need be, or reject it (admins, or the station's coordinators)."""
        return service.review_record(policy.station_object_or_404(ServiceRecord, record_id, "service record"), data)
