"""HTTP routes for tasks."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import policy
from ..auth.context import current_principal
from ..common.pagination import SQLPage
from ..services import tasks
from .schemas import TaskPatchSchema, TaskQuerySchema, TaskSchema

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Service tasks")


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, filters):
        """List tasks by station, status, and a time range they overlap.

        Coordinators list their own stations' tasks; volunteers and admins list all.
        """
        return tasks.listing(current_principal(), filters)

    @blp.arguments(TaskSchema)
    @blp.response(201, TaskSchema)
    def post(self, data):
        """Post a task for a station (admins, or the station's coordinators), inside its service area."""
        return tasks.create(current_principal(), data)


@blp.route("/<int(max=2147483647):task_id>")
class TasksById(MethodView):
    @blp.response(200, TaskSchema)
    def get(self, task_id):
        """Read one task."""
        return policy.visible_task(current_principal(), task_id)

    @blp.arguments(TaskPatchSchema(partial=True))
    @blp.response(200, TaskSchema)
    def patch(self, data, task_id):
        """Change a task, or cancel it with {"status": "cancelled"} (admins, or the station's coordinators)."""
        return tasks.update(current_principal(), task_id, data)
