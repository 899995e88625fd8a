"""HTTP routes for tasks."""
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from ..common.pagination import SQLPage
from ..extensions import db
from ..models import Task
from . import service
from .schemas import TaskPatchSchema, TaskQuerySchema, TaskSchema

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Service tasks")


def get_task_or_404(task_id):
    """The task with this id, or a 404 naming it."""
    return db.get_or_404(Task, task_id, description=f"no task with id {task_id}")


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters):
        """List tasks by station, status, and a time range they overlap."""
        stmt = select(Task).order_by(Task.starts_at, Task.id)
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
        """Post a task for a station."""
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
        """Change a task, or cancel it with {"status": "cancelled"}."""
        return service.update_task(get_task_or_404(task_id), data)
