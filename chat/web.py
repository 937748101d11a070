"""What every chat function shares: Flask's application factory, JSON errors, and reading a request.

A function file builds its app in one line, `app = create_app(routes)`, with its collaborators
made from the environment; a test passes its own (`create_app(routes, settings=...)`) and gets
a fresh app with nothing shared with the last one.
"""

import ipaddress
import json
import logging
import time
from dataclasses import dataclass

from flask import Blueprint, Flask, Request, Response, current_app, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from chat.ably_client import Ably, AblyFailed
from chat.config import ConfigError, Settings
from chat.limits import Limits, Rule
from chat.sessions import NotYours, Session, SessionInvalid, Sessions
from chat.validation import InvalidField

MAX_BODY_BYTES = 16 * 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """A function's view of the world outside it, made once per app."""

    settings: Settings
    ably: Ably
    limits: Limits
    sessions: Sessions


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__("too many requests")
        self.retry_after = retry_after


def create_app(routes: Blueprint, *, settings: Settings | None = None, ably: Ably | None = None,
               limits: Limits | None = None, clock=time.time) -> Flask:
    app = Flask(routes.import_name, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    _register_error_handlers(app)
    try:
        settings = settings or Settings.from_environment()
    except ConfigError as error:
        log.error("configuration error: %s", error)
        problem = error  # `error` ends with the except block
        app.before_request(lambda: _raise(problem))  # every request says what is wrong, by name
    else:
        app.extensions["chat"] = Services(settings, ably or Ably(settings),
                                          limits or Limits(settings.redis_url), Sessions(settings, clock))
    app.register_blueprint(routes)
    return app


def services() -> Services:
    return current_app.extensions["chat"]


def enforce(rule: Rule, key: str) -> None:
    if retry_after := services().limits.take(rule, key):
        raise RateLimited(retry_after)


def session_of(request: Request) -> Session:
    """The session the request carries as `Authorization: Bearer <session>`, or a 401."""
    return services().sessions.from_header(request.headers.get("Authorization"))


def client_key(request: Request) -> str:
    """Whom per-address limits count against: the caller's address, an IPv6 one by its /64
    (one home or phone gets a whole /64, and could otherwise rotate through it)."""
    address = request.remote_addr or ""
    if services().settings.trust_proxy_headers:
        # Vercel's edge sets both itself; the last X-Forwarded-For entry is the one it added.
        forwarded = request.headers.get("X-Real-IP") or request.headers.get("X-Forwarded-For", "").split(",")[-1]
        address = forwarded.strip() or address
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def json_object_body(request: Request) -> dict:
    """The request body as a JSON object, or a BadRequest that says what is wrong with it."""
    if not request.is_json:
        raise BadRequest("Content-Type must be application/json", status=415)
    try:
        body = json.loads(request.get_data())
    except (ValueError, RecursionError):  # RecursionError: nesting too deep to parse
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def error_response(status: int, message: str, field: str | None = None, headers: dict | None = None,
                   code: int | None = None) -> Response:
    """`code`: Ably's error code, when Ably refused."""
    error = {"message": message} if field is None else {"message": message, "field": field}
    if code is not None:
        error["code"] = code
    response = jsonify(error=error)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _raise(error: Exception):
    raise error


def _register_error_handlers(app: Flask) -> None:
    @app.after_request
    def never_cache(response: Response) -> Response:
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    handlers = {
        InvalidField: lambda error: error_response(400, str(error), field=error.field),
        BadRequest: lambda error: error_response(error.status, error.message),
        SessionInvalid: lambda error: error_response(401, str(error), headers={"WWW-Authenticate": "Bearer"}),
        NotYours: lambda error: error_response(403, str(error), field=error.field),
        RateLimited: lambda error: error_response(
            429, f"too many requests; wait {error.retry_after} s", headers={"Retry-After": str(error.retry_after)}),
        AblyFailed: lambda error: error_response(502, str(error), code=error.code),
        ConfigError: lambda error: error_response(500, f"The server is misconfigured: {error}"),
    }
    for kind, handler in handlers.items():
        app.register_error_handler(kind, handler)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        message = {413: f"the body must be at most {MAX_BODY_BYTES} bytes"}.get(error.code, error.description)
        return error_response(error.code or 500, message, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error")
        return error_response(500, "internal error")
