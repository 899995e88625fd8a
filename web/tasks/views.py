"""HTTP routes for tasks."""
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from ..auth import policy
from ..common.pagination import SQLPage
from ..models import Task
from . import service
from .schemas import TaskPatchSchema, TaskQuerySchema, TaskSchema

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Service tasks")


def get_task_or_404(task_id):
    """The task, if the caller may see it: coordinators see their stations' tasks, others 404."""
    return policy.station_object_or_404(Task, task_id, "task", roles=("admin", "coordinator", "volunteer"))


def station_task_or_404(task_id):
    """The task, for admins and its station's coordinators (volunteers 403; other coordinators 404)."""
    principal = policy.require("admin", "coordinator")
    task = get_task_or_404(task_id)
    policy.require_station(principal, task.station_id)
    return task


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters):
        """List tasks by station, status, and a time range they overlap.

        Coordinators list their own stations' tasks; volunteers and admins list all.
        """
        principal = policy.require("admin", "coordinator", "volunteer")
        stmt = select(Task).order_by(Task.starts_at, Task.id)
        if principal.role == "coordinator":
            stmt = stmt.where(Task.station_id.in_(principal.station_ids))
        if "station_id" in filters:
            stmt = stmt.where(Task.station_id == filters["station_id"])
        if "status" in filters:
            stmt = stmt.where(Task.status == filters["status"])
        if "from_" in filters:
            stmt = stmt.where(Task.ends_at > filters["from_"])
        if "to" in filters:
            stmt = stmt.where(Task.starts_at < filters["to"])
        return stmt

    @blp.arguments(TaskSchema)
    @blp.response(201, TaskSchema)
    def post(self, data):
        """Post a task for a station (admins, or the station's coordinators)."""
        policy.require_station(policy.require("admin", "coordinator"), data["station_id"])
        return service.create_task(data)


@blp.route("/<int(max=2147483647):task_id>")
class TasksById(MethodView):
    @blp.response(200, TaskSchema)
    def get(self, task_id):
        """Read one task."""
        return get_task_or_404(task_id)

    @blp.arguments(TaskPatchSchema(partial=True))
    @blp.response(200, TaskSchema)
    def patch(self, data, task_id):
        """Change a task, or cancel it with {"status": "cancelled"} (admins, or the station's coordinators)."""
        task = station_task_or_404(task_id)
        if "station_id" in data:
            policy.require_station(policy.current_principal(), data["station_id"])
        return service.update_task(task, data)
