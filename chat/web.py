"""What every chat function shares: Flask's application factory, JSON errors, and reading a request.

A function file builds its app in one line, `app = create_app(routes)`, with its collaborators
made from the environment; a test passes its own (`create_app(routes, settings=...)`) and gets
a fresh app. The one thing apps of one deployment share in a process is the record of who holds
which name (chat/holders.py), so that the session, token and message apps agree.
"""

import ipaddress
import json
import logging
import time
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Request, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from chat.ably_client import Ably, AblyFailed
from chat.config import ConfigError, Settings
from chat.holders import Holders, RecordsUnavailable, Verdict
from chat.message_changes import MessageNotFound, NotTheAuthor
from chat.rate_limits import RateLimits, Rule
from chat.sessions import SESSION_MAX_AGE_S, NameReleased, NotYours, Session, SessionInvalid, Sessions
from chat.validation import InvalidField

MAX_BODY_BYTES = 16 * 1024

log = logging.getLogger(__name__)


# Named tuples rather than dataclasses here and in the other modules every function loads: a frozen
# dataclass costs about 1 ms to define, a tenth of that for a named tuple, on every cold start.
class Services(NamedTuple):
    """A function's view of the world outside it, made once per app."""

    settings: Settings
    ably: Ably
    limits: RateLimits
    sessions: Sessions
    holders: Holders
    clock: Callable[[], float]  # seconds since the epoch


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__("too many requests")
        self.retry_after = retry_after


def create_app(
    routes: Blueprint,
    *,
    settings: Settings | None = None,
    ably: Ably | None = None,
    limits: RateLimits | None = None,
    holders: Holders | None = None,
    clock: Callable[[], float] = time.time,
) -> Flask:
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
        holders = holders or Holders.shared(settings)
        app.extensions["chat"] = Services(
            settings,
            ably or Ably(settings),
            limits or RateLimits(holders.store),
            Sessions(settings, clock),
            holders,
            clock,
        )
        if settings.loopback_hosts_only:
            app.before_request(_refuse_other_hosts)
    app.register_blueprint(routes)
    return app


def _refuse_other_hosts() -> None:
    """Under `make dev` (LOOPBACK_HOSTS_ONLY): a DNS-rebinding page sends its own name as the Host."""
    if not _is_loopback_name(request.host):
        raise BadRequest("Host not allowed: make dev answers to loopback names only", status=403)


def _is_loopback_name(authority: str) -> bool:
    try:
        host = urlsplit(f"//{authority}").hostname or ""
        return host == "localhost" or host.endswith(".localhost") or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a malformed authority, or a name that is not an address
        return False


def services() -> Services:
    return current_app.extensions["chat"]


def enforce(rule: Rule, key: str) -> None:
    if retry_after := services().limits.take(rule, key):
        raise RateLimited(retry_after)


def enforce_address(rule: Rule, request: Request) -> None:
    """Count the request against `rule` for its address and, for IPv6, against the looser
    `rule.per_network()` for its /48 (a site, which could otherwise rotate through 65536 /64s)."""
    address = client_address(request)
    enforce(rule, _network_key(address, 64))
    if address and address.version == 6:
        enforce(rule.per_network(), _network_key(address, 48))


def session_of(request: Request) -> Session:
    """The session the request carries as `Authorization: Bearer <session>`, while its claim holds
    the name: otherwise a 401 (one read of the store)."""
    chat = services()
    session = chat.sessions.from_header(request.headers.get("Authorization"), SESSION_MAX_AGE_S)
    if chat.holders.check(session.room, session.key, session.claim, chat.clock()) is Verdict.RELEASED:
        raise NameReleased()
    return session


def client_address(request: Request) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The caller's address (IPv4 for an IPv4-mapped one), or None if there is none to read."""
    address = request.remote_addr or ""
    if services().settings.trust_proxy_headers:
        # Vercel's edge sets both itself; the last X-Forwarded-For entry is the one it added.
        forwarded = request.headers.get("X-Real-IP") or request.headers.get("X-Forwarded-For", "").split(",")[-1]
        address = forwarded.strip() or address
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if ip.version == 6 else ip


def _network_key(ip, prefix: int) -> str:
    """An IPv6 address by its /`prefix` (one home or phone gets a whole /64); IPv4 as it is."""
    if ip is None:
        return "unknown"
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False)) if ip.version == 6 else str(ip)


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


def error_response(
    status: int,
    message: str,
    field: str | None = None,
    headers: dict | None = None,
    reason: str | None = None,
    code: int | None = None,
    **details: str,
) -> Response:
    """`reason`: a stable word the page acts on, where the message is for people; `code`: Ably's
    error code, when Ably refused; `details`: more members of the error (a 409's `holder`)."""
    error: dict[str, str | int] = {"message": message} if field is None else {"message": message, "field": field}
    error.update(details)
    if reason:
        error["reason"] = reason
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
        SessionInvalid: lambda error: error_response(
            401, str(error), headers={"WWW-Authenticate": "Bearer"}, reason=getattr(error, "reason", None)
        ),
        NotYours: lambda error: error_response(403, str(error), field=error.field),
        NotTheAuthor: lambda error: error_response(403, str(error), field="serial"),
        MessageNotFound: lambda error: error_response(404, str(error), field="serial"),
        RateLimited: lambda error: error_response(
            429, f"too many requests; wait {error.retry_after} s", headers={"Retry-After": str(error.retry_after)}
        ),
        AblyFailed: lambda error: error_response(502, str(error), code=error.code),
        RecordsUnavailable: lambda error: error_response(
            503,
            "names cannot be claimed right now; try again in a few seconds",
            headers={"Retry-After": "5"},
            reason="records-unavailable",
        ),
        ConfigError: lambda error: error_response(500, f"The server is misconfigured: {error}"),
    }
    for kind, handler in handlers.items():
        app.register_error_handler(kind, handler)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        status = error.code or 500
        message = f"the body must be at most {MAX_BODY_BYTES} bytes" if status == 413 else error.description
        return error_response(status, message or error.name, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error")
        return error_response(500, "internal error")
