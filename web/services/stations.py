"""Writes of stations, and the service-area rule: a station's tasks and match requests lie within its area."""
from marshmallow import ValidationError

from ..auth import policy
from ..common.text import msg
from ..errors import Forbidden
from ..extensions import db
from ..models import Station


def distance_km(station, lat, lon):
    """Great-circle km from the station to a point."""
    from matcher.geo import haversine_km

    return float(haversine_km(station.lat, station.lon, [lat], [lon])[0])


def covering(stations, lat, lon):
    """The stations whose service area holds a point (a resident's request goes to each one's queue)."""
    return [s for s in stations if distance_km(s, lat, lon) <= s.service_area_km]


def place_field(data):
    """The body field a place came from, for naming it in an error: `address`, else `location`."""
    return "address" if "address" in data and "location" not in data else "location"


def check_in_area(stations, lat, lon, field="location"):
    """Refuse (422 on `field`) a point outside the service area of every one of these stations."""
    if not stations:
        return
    gaps = [(distance_km(s, lat, lon) - s.service_area_km, s) for s in stations]
    gap, nearest = min(gaps, key=lambda g: g[0])
    if gap > 0:
        raise ValidationError({field: [
            msg("is {km:.1f} km from station {nearest_id} ({nearest_name}), outside its {area_km:g} km service area",
                km=gap + nearest.service_area_km, nearest_id=nearest.id, nearest_name=nearest.name,
                area_km=nearest.service_area_km)]})


def create(actor, data):
    """Create a station (admins)."""
    policy.require_admin(actor)
    station = Station(**data)
    db.session.add(station)
    db.session.flush()
    _queue_needs(station)
    db.session.commit()
    return station


def update(actor, station_id, data):
    """Change a station (admins, or its coordinators; only admins draw its service area)."""
    policy.require(actor, *policy.STAFF)
    station = policy.station_or_404(station_id)
    policy.require_station(actor, station.id)
    if "service_area_km" in data and not policy.may_set_service_area(actor):
        raise Forbidden(msg("only an admin sets a station's service area"),
                        {"service_area_km": [msg("only an admin sets a station's service area")]})
    for key, value in data.items():
        setattr(station, key, value)
    if {"lat", "lon", "service_area_km"} & set(data):
        _queue_needs(station)
    db.session.commit()
    return station


def _queue_needs(station):
    """A new station, or one whose place or area changed, gets the untaken residents' requests of its area."""
    from . import needs  # needs uses the area rule above

    needs.route_station(station)
