"""GET /api/rooms: the rooms with people in them now, and how many, for the lobby."""

from flask import Blueprint, current_app, jsonify, request

from chat.lobby import CACHE_S, Lobby
from chat.rate_limits import ROOMS_PER_IP
from chat.rooms import DEFAULT_ROOM
from chat.web import create_app, enforce_address, services

routes = Blueprint("rooms", __name__)


@routes.get("/api/rooms")
def rooms():
    enforce_address(ROOMS_PER_IP, request)
    lobby = current_app.extensions.get("lobby") or current_app.extensions.setdefault("lobby", Lobby(services().ably))
    rooms, stale = lobby.occupied_rooms()
    response = jsonify(rooms=rooms, defaultRoom=DEFAULT_ROOM, **({"stale": True} if stale else {}))
    # Vercel's edge may answer from its cache for as long as the list is kept here.
    response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={CACHE_S:.0f}"
    return response


app = create_app(routes)
