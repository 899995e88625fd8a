"""HTTP routes for stations."""
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from ..auth import policy
from ..auth.context import PUBLIC_DOC, current_principal
from ..common.pagination import SQLPage
from ..models import Station
from ..services import stations
from .schemas import StationPatchSchema, StationQuerySchema, StationSchema

blp = Blueprint("stations", __name__, url_prefix="/api/v1/stations", description="Service stations")


@blp.route("")
class Stations(MethodView):
    @blp.arguments(StationQuerySchema, location="query")
    @blp.response(200, StationSchema(many=True))
    @blp.paginate(SQLPage)
    @blp.doc(**PUBLIC_DOC)
    def get(self, filters):
        """List stations, filtered by district or kind (public: stations are service points)."""
        stmt = select(Station).order_by(Station.id)
        for name, value in filters.items():
            stmt = stmt.where(getattr(Station, name) == value)
        return stmt

    @blp.arguments(StationSchema)
    @blp.response(201, StationSchema)
    def post(self, data):
        """Create a station (admins)."""
        return stations.create(current_principal(), data)


@blp.route("/<int(max=2147483647):station_id>")
class StationsById(MethodView):
    @blp.response(200, StationSchema)
    @blp.doc(**PUBLIC_DOC)
    def get(self, station_id):
        """Read one station (public)."""
        return policy.station_or_404(station_id)

    @blp.arguments(StationPatchSchema(partial=True))
    @blp.response(200, StationSchema)
    def patch(self, data, station_id):
        """Change some fields of a station (admins, or its coordinators; only admins set `service_area_km`)."""
        return stations.update(current_principal(), station_id, data)
