"""HTTP routes for stations."""
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from ..auth import policy
from ..common.pagination import SQLPage
from ..extensions import db
from ..models import Station
from .schemas import StationPatchSchema, StationQuerySchema, StationSchema

blp = Blueprint("stations", __name__, url_prefix="/api/v1/stations", description="Service stations")


def get_station_or_404(station_id):
    """The station with this id, or a 404 naming it."""
    return db.get_or_404(Station, station_id, description=f"no station with id {station_id}")


@blp.route("")
class Stations(MethodView):
    @blp.arguments(StationQuerySchema, location="query")
    @blp.response(200, StationSchema(many=True))
    @blp.paginate(SQLPage)
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
        policy.require("admin")
        station = Station(**data)
        db.session.add(station)
        db.session.commit()
        return station


@blp.route("/<int(max=2147483647):station_id>")
class StationsById(MethodView):
    @blp.response(200, StationSchema)
    def get(self, station_id):
        """Read one station (public)."""
        return get_station_or_404(station_id)

    @blp.arguments(StationPatchSchema(partial=True))
    @blp.response(200, StationSchema)
    def patch(self, data, station_id):
        """Change some fields of a station (admins, or its coordinators)."""
        principal = policy.require("admin", "coordinator")
        station = get_station_or_404(station_id)
        policy.require_station(principal, station.id)
        for key, value in data.items():
            setattr(station, key, value)
        db.session.commit()
        return station
