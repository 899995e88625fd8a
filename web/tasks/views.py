"""HTTP routes for tasks."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.context import current_principal
from ..common.pagination import SQLPage
from ..services import tasks
from .schemas import RepeatSchema, TaskPatchSchema, TaskQuerySchema, TaskSchema

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Service tasks")


class TaskPage(SQLPage):
    """A page of tasks, each with its seat counts (one query for the page)."""

    @property
    def items(self):
        return tasks.with_counts(super().items)


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate(TaskPage)
    def get(self, filters):
        """List tasks by station, statuses, and a time range they overlap, a page at a time.

        Coordinators list their own stations' tasks; volunteers and admins list all. Cancelled tasks and
        tasks that have ended are left out unless `include_past=true` or a `status` is given. Pages:
        `page` and `page_size` (default 10, at most 100); the `X-Pagination` header gives `total`,
        `total_pages`, `page` and the neighbouring pages.
        """
        return tasks.listing(current_principal(), filters)

    @blp.arguments(TaskSchema)
    @blp.response(201, TaskSchema)
    def post(self, data):
        """Post a task for a station (admins, or the station's coordinators), inside its service area, before it starts."""
        return tasks.create(current_principal(), data)


@blp.route("/<int(max=2147483647):task_id>")
class TasksById(MethodView):
    @blp.response(200, TaskSchema)
    def get(self, task_id):
        """Read one task."""
        return tasks.read(current_principal(), task_id)

    @blp.arguments(TaskPatchSchema(partial=True))
    @blp.response(200, TaskSchema)
    def patch(self, data, task_id):
        """Change a task, or cancel it with {"status": "cancelled"} (admins, or the station's coordinators).

        The same rules as posting; a new start may not be in the past.
        """
        return tasks.update(current_principal(), task_id, data)


@blp.route("/<int(max=2147483647):task_id>/repeat")
class TaskRepeat(MethodView):
    @blp.arguments(RepeatSchema)
    @blp.response(201, TaskSchema(many=True))
    def post(self, data, task_id):
        """Copy a task onto other dates at the same local time of day (admins, or the station's coordinators).

        All or nothing: a date on which the copy would start in the past is a 422 on `dates`.
        """
        return tasks.repeat(current_principal(), task_id, data["dates"])
